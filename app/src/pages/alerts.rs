//! `/alerts`: threshold alerts of monitoring jobs and device health, with acknowledgement.

use std::time::Duration;

use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::focus;
use crate::components::live::use_live;
use crate::components::pagination::Pagination;
use crate::components::query::{href_with, parse_page};
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::IfCan;
use crate::model::Page;
use crate::monitoring::api::{acknowledge_alert, list_alerts};
use crate::monitoring::model::{AlertQuery, AlertRow};

const PATH: &str = "/alerts";
const KEYS: &[&str] = &["state", "job", "device", "page"];
const PER_PAGE: u32 = 50;
/// Alerts are raised by the collector between user actions: a slow poll backs up the live stream.
const POLL: Duration = Duration::from_secs(10);
const STATES: [(&str, &str); 3] = [("open", "Open"), ("unacknowledged", "Unacknowledged"), ("all", "All")];

/// The unit a metric's values are in.
pub fn metric_unit(metric: &str) -> &'static str {
    match metric {
        "loss" | "cpu" => "%",
        _ => "ms",
    }
}

pub fn metric_label(metric: &str) -> String {
    match metric {
        "rtt" => "RTT".to_owned(),
        "loss" => "Packet loss".to_owned(),
        "jitter" => "Jitter".to_owned(),
        "cpu" => "CPU".to_owned(),
        other => other.to_owned(),
    }
}

/// "182.4 ms > 100 ms": the value that raised the alert against its threshold.
pub fn alert_value(a: &AlertRow) -> String {
    let unit = metric_unit(&a.metric);
    format!("{} {unit} > {} {unit}", fmt_value(a.value), trim_num(a.threshold))
}

/// Enough digits to compare with small thresholds (loopback RTTs are hundredths of a ms).
fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a > 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.1}")
    }
}

fn trim_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Where an alert's subject lives: its job, else its device.
pub fn subject_href(a: &AlertRow) -> String {
    match (&a.job_id, &a.device_id) {
        (Some(j), _) => format!("/monitoring/{j}"),
        (None, Some(d)) => format!("/devices/{d}"),
        (None, None) => PATH.to_owned(),
    }
}

fn query_from(map: &ParamsMap) -> AlertQuery {
    let get = |k: &str| map.get(k).unwrap_or_default().trim().to_owned();
    let state = get("state");
    AlertQuery {
        state: if state.is_empty() { "open".to_owned() } else { state },
        job_id: get("job"),
        device_id: get("device"),
        page: parse_page(&get("page")),
        per_page: PER_PAGE,
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let live = use_live();
    let tick = RwSignal::new(0_u64);
    let query = use_query_map();
    let aq = Memo::new(move |_| query.with(query_from));
    let alerts = Resource::new(move || (live.get(), tick.get(), aq.get()), |(_, _, q)| list_alerts(q));
    let toasts = use_toasts();
    let ack_target = RwSignal::new(None::<AlertRow>);

    let poll = StoredValue::new(None::<IntervalHandle>);
    Effect::new(move |_| {
        if poll.get_value().is_none() {
            poll.set_value(set_interval_with_handle(move || tick.update(|n| *n += 1), POLL).ok());
        }
    });
    on_cleanup(move || {
        if let Some(h) = poll.try_get_value().flatten() {
            h.clear();
        }
    });

    let ack = Action::new(move |(id, note): &(String, String)| {
        let (id, note) = (id.clone(), note.clone());
        async move {
            let result = acknowledge_alert(id, note).await;
            match &result {
                Ok(()) => {
                    toasts.success("Alert acknowledged");
                    ack_target.set(None);
                    live.update(|n| *n += 1);
                }
                Err(e) => toasts.error(e.to_string()),
            }
            result
        }
    });
    let pending = ack.pending();

    view! {
        <PageTitle text="Alerts"/>
        <section class="page" data-testid="alerts-page">
            <Breadcrumbs items=crumbs(&[("Monitoring", Some("/monitoring")), ("Alerts", None)])/>
            <div class="page-head">
                <h1>"Alerts"</h1>
            </div>
            <nav class="tabs" aria-label="Which alerts">
                {move || {
                    let q = aq.get();
                    STATES
                        .into_iter()
                        .map(|(v, label)| {
                            let href = href_with(
                                PATH,
                                &[("state", v.to_owned()), ("job", q.job_id.clone()), ("device", q.device_id.clone())],
                            );
                            let current = q.state == v;
                            view! {
                                <a href=href class="tab" class:active=current aria-current=current.then_some("page") data-state=v>
                                    {label}
                                </a>
                            }
                        })
                        .collect_view()
                }}
            </nav>
            <Transition fallback=|| view! { <Loading label="Loading alerts…"/> }>
                {move || Suspend::new(async move {
                    match alerts.await {
                        Ok(page) => view! { <AlertsTable page ack_target/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <AckDialog
                target=ack_target
                pending=pending
                on_confirm=Callback::new(move |(id, note): (String, String)| {
                    ack.dispatch((id, note));
                })
            />
        </section>
    }
}

#[component]
fn AlertsTable(page: Page<AlertRow>, ack_target: RwSignal<Option<AlertRow>>) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <EmptyState title="No alerts here" text="Alerts are raised when a monitoring job's thresholds or a device's CPU limit are crossed.">
                <a href="/monitoring" class="btn">"Monitoring jobs"</a>
            </EmptyState>
        }
        .into_any();
    }
    let shown = page.items.len();
    view! {
        <div class="table-wrap">
            <table class="table table-compact" id="alerts-table" data-total=page.total>
                <thead>
                    <tr>
                        <th scope="col">"Raised (UTC)"</th>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"Metric"</th>
                        <th scope="col">"Value vs threshold"</th>
                        <th scope="col">"Latest"</th>
                        <th scope="col">"State"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|a| view! { <AlertTr a ack_target/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pagination path=PATH keys=KEYS page=page.page.max(1) per_page=page.per_page.max(1) total=page.total shown/>
    }
    .into_any()
}

#[component]
fn AlertTr(a: AlertRow, ack_target: RwSignal<Option<AlertRow>>) -> impl IntoView {
    let open = a.cleared_at.is_none();
    let acked = a.acknowledged_by.is_some();
    let state = match (open, acked) {
        (true, false) => "open",
        (true, true) => "acknowledged",
        (false, _) => "cleared",
    };
    let unit = metric_unit(&a.metric);
    let row = a.clone();
    view! {
        <tr data-alert-id=a.id.clone() data-state=state>
            <td class="nowrap mono small"><Time at=a.raised_at/></td>
            <td><a href=subject_href(&a)>{a.subject_label.clone()}</a></td>
            <td>{metric_label(&a.metric)}</td>
            <td class="mono" data-field="value">{alert_value(&a)}</td>
            <td class="mono small">{format!("{} {unit}", fmt_value(a.last_value))}</td>
            <td>
                <span class=format!("badge status alert-state-{state}")>{state}</span>
                {a
                    .cleared_at
                    .map(|t| {
                        let how = a.close_reason.clone().map_or_else(|| "cleared ".to_owned(), |r| format!("closed ({r}) "));
                        view! { <div class="small muted">{how} <Time at=t short=true/></div> }
                    })}
                {a
                    .acknowledged_by
                    .clone()
                    .map(|who| {
                        view! {
                            <div class="small muted" data-field="ack">
                                {format!("by {who}")}
                                {a.ack_note.clone().filter(|n| !n.is_empty()).map(|n| format!(": {n}"))}
                            </div>
                        }
                    })}
            </td>
            <td>
                {(open && !acked)
                    .then(|| {
                        view! {
                            <IfCan perm=Permission::AcknowledgeAlerts>
                                {
                                    let row = row.clone();
                                    view! {
                                        <button type="button" class="btn btn-small ack-btn" on:click=move |_| ack_target.set(Some(row.clone()))>
                                            "Acknowledge"
                                        </button>
                                    }
                                }
                            </IfCan>
                        }
                    })}
            </td>
        </tr>
    }
}

/// Acknowledge with an optional note.
#[component]
fn AckDialog(
    target: RwSignal<Option<AlertRow>>,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: Callback<(String, String)>,
) -> impl IntoView {
    let note = RwSignal::new(String::new());
    Effect::new(move |_| {
        if target.with(Option::is_some) {
            note.set(String::new());
            request_animation_frame(|| focus("ack-note"));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(a) = target.get_untracked() {
            on_confirm.run((a.id, note.get_untracked().trim().to_owned()));
        }
    };
    view! {
        <Show when=move || target.with(Option::is_some)>
            <div class="modal-backdrop" on:click=move |_| target.set(None)></div>
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="ack-title"
                data-testid="ack-dialog"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        target.set(None);
                    }
                }
            >
                <form on:submit=submit novalidate>
                    <h2 id="ack-title">"Acknowledge alert"</h2>
                    <p>
                        {move || target.get().map(|a| format!("{} · {} · {}", a.subject_label, metric_label(&a.metric), alert_value(&a)))}
                    </p>
                    <div class="field">
                        <label for="ack-note">"Note (optional)"</label>
                        <input
                            id="ack-note"
                            type="text"
                            autocomplete="off"
                            placeholder="e.g. provider incident INC-42"
                            prop:value=move || note.get()
                            on:input=move |ev| note.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="modal-actions">
                        <button type="button" class="btn" on:click=move |_| target.set(None)>"Cancel"</button>
                        <button type="submit" id="ack-confirm" class="btn btn-primary" disabled=move || pending.get()>
                            "Acknowledge"
                        </button>
                    </div>
                </form>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn row(metric: &str, job: Option<&str>, device: Option<&str>) -> AlertRow {
        AlertRow {
            id: "x#1".into(),
            subject: "x".into(),
            subject_label: "x".into(),
            metric: metric.into(),
            job_id: job.map(str::to_owned),
            device_id: device.map(str::to_owned),
            threshold: 100.0,
            value: 182.44,
            last_value: 150.0,
            raised_at: Utc::now(),
            cleared_at: None,
            close_reason: None,
            acknowledged_by: None,
            acknowledged_at: None,
            ack_note: None,
        }
    }

    #[test]
    fn values_carry_their_unit() {
        assert_eq!(alert_value(&row("rtt", None, None)), "182.4 ms > 100 ms");
        assert_eq!(alert_value(&row("loss", None, None)), "182.4 % > 100 %");
        let mut r = row("cpu", None, None);
        r.threshold = 80.5;
        assert_eq!(alert_value(&r), "182.4 % > 80.5 %");
        r.value = 0.0123;
        r.threshold = 0.001;
        assert_eq!(alert_value(&r), "0.012 % > 0.001 %");
    }

    #[test]
    fn subjects_link_to_their_job_or_device() {
        assert_eq!(subject_href(&row("rtt", Some("j1"), Some("d1"))), "/monitoring/j1");
        assert_eq!(subject_href(&row("cpu", None, Some("d1"))), "/devices/d1");
        assert_eq!(subject_href(&row("cpu", None, None)), "/alerts");
    }
}
