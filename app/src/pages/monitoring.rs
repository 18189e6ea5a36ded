//! `/monitoring`: latency measurement jobs, newest first, with their state and progress; plus the
//! helpers the other monitoring pages share.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::StatusBadge;
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::live::use_live;
use crate::components::pagination::Pagination;
use crate::components::query::parse_page;
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::user::IfCan;
use crate::model::Page;
use crate::monitoring::api::list_monitor_jobs;
use crate::monitoring::model::{JobQuery, JobRow};

const PATH: &str = "/monitoring";
const KEYS: &[&str] = &["status", "q", "page"];
const PER_PAGE: u32 = 25;
const STATUSES: [&str; 5] = ["scheduled", "running", "completed", "cancelled", "failed"];
/// While a job runs the list refreshes this often (progress moves without events).
const POLL: Duration = Duration::from_secs(5);

/// The current time; in the browser from the JS clock (std's clock panics on wasm32).
pub fn now_utc() -> DateTime<Utc> {
    #[cfg(feature = "hydrate")]
    {
        use chrono::TimeZone;
        #[allow(clippy::cast_possible_truncation)]
        let ms = leptos::__reexports::wasm_bindgen_futures::js_sys::Date::now() as i64;
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Utc::now()
    }
}

/// Whether a job may still measure (so it may be cancelled, and its pages keep refreshing).
pub fn job_active(status: &str) -> bool {
    matches!(status, "new" | "scheduled" | "running")
}

/// "200 ms", "1 s", "1.5 s", "5 min", "1 h 30 min".
pub fn fmt_interval(ms: i64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        if ms % 1_000 == 0 {
            format!("{} s", ms / 1_000)
        } else {
            format!("{}.{} s", ms / 1_000, (ms % 1_000) / 100)
        }
    } else {
        fmt_span(ms / 1_000)
    }
}

/// A whole number of seconds as "45 s", "5 min", "2 h 30 min", "3 d 4 h".
pub fn fmt_span(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3_600 {
        if s % 60 == 0 {
            format!("{} min", s / 60)
        } else {
            format!("{} min {} s", s / 60, s % 60)
        }
    } else if s < 86_400 {
        let m = (s % 3_600) / 60;
        if m == 0 {
            format!("{} h", s / 3_600)
        } else {
            format!("{} h {m} min", s / 3_600)
        }
    } else {
        let h = (s % 86_400) / 3_600;
        if h == 0 {
            format!("{} d", s / 86_400)
        } else {
            format!("{} d {h} h", s / 86_400)
        }
    }
}

/// "1 h", "90 min", "20s", "1h30m", "2 d", "45" (seconds): a duration as people type it.
pub fn parse_span(s: &str) -> Option<chrono::Duration> {
    let s = s.trim().to_lowercase();
    if s.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut unit = String::new();
    let mut parts: Vec<(String, String)> = Vec::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            if !unit.is_empty() {
                parts.push((std::mem::take(&mut number), std::mem::take(&mut unit)));
            }
            number.push(c);
        } else if c.is_alphabetic() {
            if number.is_empty() {
                return None;
            }
            unit.push(c);
        } else if !c.is_whitespace() {
            return None;
        }
    }
    if number.is_empty() {
        return None;
    }
    parts.push((number, unit));
    for (n, u) in parts {
        let n: f64 = n.parse().ok()?;
        let mult = match u.as_str() {
            "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
            "d" | "day" | "days" => 86_400.0,
            _ => return None,
        };
        let secs = n * mult;
        if !secs.is_finite() || !(0.0..=366.0 * 86_400.0).contains(&secs) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation)]
        let secs = secs.round() as i64;
        total = total.checked_add(secs)?;
    }
    (total > 0).then(|| chrono::Duration::seconds(total))
}

/// "12.3 ms" or "—".
pub fn fmt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| if v >= 100.0 { format!("{v:.0} ms") } else { format!("{v:.2} ms") })
}

/// "0.5 %" or "—".
pub fn fmt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} %"))
}

/// A bounded job's progress as a bar.
#[component]
pub fn JobProgress(pct: f64) -> impl IntoView {
    let pct = pct.clamp(0.0, 100.0);
    let label = format!("{pct:.0} % of the window elapsed");
    let title = label.clone();
    view! {
        <div class="job-progress" title=title data-progress=format!("{pct:.0}")>
            <div class="op-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{pct:.0}") aria-label=label>
                <span class="op-bar-ok" style=format!("width:{pct:.2}%")></span>
            </div>
            <span class="small muted">{format!("{pct:.0} %")}</span>
        </div>
    }
}

fn query_from(map: &ParamsMap) -> JobQuery {
    let get = |k: &str| map.get(k).unwrap_or_default().trim().to_owned();
    JobQuery { status: get("status"), q: get("q"), page: parse_page(&get("page")), per_page: PER_PAGE }
}

#[component]
pub fn MonitoringPage() -> impl IntoView {
    let live = use_live();
    let tick = RwSignal::new(0_u64);
    let query = use_query_map();
    let jq = Memo::new(move |_| query.with(query_from));
    let jobs = Resource::new(move || (live.get(), tick.get(), jq.get()), |(_, _, q)| list_monitor_jobs(q));

    let poll = StoredValue::new(None::<IntervalHandle>);
    Effect::new(move |_| {
        let running = jobs.with(|r| {
            r.as_ref().and_then(|r| r.as_ref().ok()).is_some_and(|p| p.items.iter().any(|j| job_active(&j.status)))
        });
        if let Some(h) = poll.get_value() {
            h.clear();
            poll.set_value(None);
        }
        if running {
            poll.set_value(set_interval_with_handle(move || tick.update(|n| *n += 1), POLL).ok());
        }
    });
    on_cleanup(move || {
        if let Some(h) = poll.try_get_value().flatten() {
            h.clear();
        }
    });

    view! {
        <PageTitle text="Monitoring"/>
        <section class="page" data-testid="monitoring-page">
            <Breadcrumbs items=crumbs(&[("Monitoring", None)])/>
            <div class="page-head">
                <h1>"Latency monitoring"</h1>
                <div class="actions">
                    <a href="/destinations" class="btn">"Destinations"</a>
                    <a href="/alerts" class="btn">"Alerts"</a>
                    <IfCan perm=Permission::ManageMonitoring>
                        <a href="/monitoring/new" class="btn btn-primary" id="new-job">
                            "+ New job"
                        </a>
                    </IfCan>
                </div>
            </div>
            <JobFilters jq/>
            <Transition fallback=|| view! { <Loading label="Loading jobs…"/> }>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Ok(page) => {
                            let q = jq.get_untracked();
                            let filtered = !(q.status.is_empty() && q.q.is_empty());
                            view! { <JobsTable page filtered/> }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn JobFilters(jq: Memo<JobQuery>) -> impl IntoView {
    move || {
        let q = jq.get();
        let filtered = !(q.status.is_empty() && q.q.is_empty());
        view! {
            <Form method="get" action=PATH attr:class="filters" attr:id="jobs-filters" attr:role="search">
                <div class="filter">
                    <label for="jobs-status">"Status"</label>
                    <select id="jobs-status" name="status">
                        <option value="" selected=q.status.is_empty()>"Any"</option>
                        {STATUSES
                            .into_iter()
                            .map(|s| view! { <option value=s selected=q.status == s>{s}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="filter">
                    <label for="jobs-q">"Search"</label>
                    <input id="jobs-q" name="q" type="search" value=q.q.clone() placeholder="name, target, creator" autocomplete="off"/>
                </div>
                <div class="filter filter-end">
                    <button type="submit" class="btn btn-primary" id="jobs-apply">"Apply"</button>
                    {filtered.then(|| view! { <a href=PATH class="btn btn-ghost" id="jobs-reset">"Reset"</a> })}
                </div>
            </Form>
        }
    }
}

#[component]
fn JobsTable(page: Page<JobRow>, filtered: bool) -> impl IntoView {
    if page.items.is_empty() {
        return if filtered {
            view! {
                <EmptyState title="No jobs match" text="Change the status or the search.">
                    <a href=PATH class="btn">"Clear filters"</a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState
                    title="No monitoring jobs yet"
                    text="Measure round-trip time, jitter and packet loss to destinations and devices over a time window, with alerts on thresholds."
                >
                    <IfCan perm=Permission::ManageMonitoring>
                        <a href="/monitoring/new" class="btn btn-primary" id="empty-new-job">"+ New job"</a>
                    </IfCan>
                    <a href="/destinations" class="btn">"Manage destinations"</a>
                </EmptyState>
            }
            .into_any()
        };
    }
    let shown = page.items.len();
    view! {
        <div class="table-wrap">
            <table id="jobs-table" class="table table-compact" data-total=page.total>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Targets"</th>
                        <th scope="col">"Window (UTC)"</th>
                        <th scope="col">"Interval"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Created by"</th>
                    </tr>
                </thead>
                <tbody>{page.items.into_iter().map(|job| view! { <JobTr job/> }).collect_view()}</tbody>
            </table>
        </div>
        <Pagination path=PATH keys=KEYS page=page.page.max(1) per_page=page.per_page.max(1) total=page.total shown/>
    }
    .into_any()
}

#[component]
fn JobTr(job: JobRow) -> impl IntoView {
    let href = format!("/monitoring/{}", job.id);
    let progress = match (job.status.as_str(), job.progress_pct, job.ends_at) {
        ("running", Some(p), Some(_)) => view! { <JobProgress pct=p/> }.into_any(),
        ("running", _, None) => view! { <span class="muted small">"open-ended"</span> }.into_any(),
        _ => job.finish_reason.clone().map_or_else(
            || view! { <span class="muted">"—"</span> }.into_any(),
            |r| view! { <span class="small muted">{r}</span> }.into_any(),
        ),
    };
    view! {
        <tr data-job-id=job.id.clone() data-status=job.status.clone()>
            <td>
                <a href=href class="job-link">{job.name.clone()}</a>
            </td>
            <td>
                <StatusBadge status=job.status.clone()/>
                {(job.status == "running").then(|| view! { " " <span class="live-dot" title="Measuring" aria-label="Measuring"></span> })}
            </td>
            <td class="selection">
                {job.selection.clone()}
                <span class="muted small">{format!(" ({})", job.targets_total)}</span>
            </td>
            <td class="nowrap small mono">
                <Time at=job.starts_at short=true/>
                " → "
                {job.ends_at.map_or_else(|| view! { <span class="muted">"open-ended"</span> }.into_any(), |e| view! { <Time at=e short=true/> }.into_any())}
            </td>
            <td class="mono small">{fmt_interval(i64::from(job.interval_ms))}</td>
            <td>{progress}</td>
            <td class="actor">{job.created_by.clone()}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_as_people_type_them() {
        assert_eq!(parse_span("1 h"), Some(chrono::Duration::hours(1)));
        assert_eq!(parse_span("90min"), Some(chrono::Duration::minutes(90)));
        assert_eq!(parse_span("1h30m"), Some(chrono::Duration::minutes(90)));
        assert_eq!(parse_span("20 s"), Some(chrono::Duration::seconds(20)));
        assert_eq!(parse_span("45"), Some(chrono::Duration::seconds(45)));
        assert_eq!(parse_span("2 days"), Some(chrono::Duration::days(2)));
        assert_eq!(parse_span("1.5h"), Some(chrono::Duration::minutes(90)));
        for bad in ["", "h", "soon", "1 fortnight", "-5 s", "0", "99999 d"] {
            assert_eq!(parse_span(bad), None, "{bad}");
        }
    }

    #[test]
    fn spans_and_intervals_read_naturally() {
        assert_eq!(fmt_interval(200), "200 ms");
        assert_eq!(fmt_interval(1_500), "1.5 s");
        assert_eq!(fmt_interval(60_000), "1 min");
        assert_eq!(fmt_span(5_400), "1 h 30 min");
        assert_eq!(fmt_span(90_000), "1 d 1 h");
        // What fmt_span prints, parse_span reads back.
        for s in [20, 300, 3_600, 5_400, 86_400] {
            assert_eq!(parse_span(&fmt_span(s)), Some(chrono::Duration::seconds(s)), "{s}");
        }
    }

    #[test]
    fn only_unfinished_jobs_are_active() {
        assert!(job_active("scheduled") && job_active("running"));
        assert!(!job_active("completed") && !job_active("cancelled") && !job_active("failed"));
    }
}
