//! `/monitoring/new` (also `?clone=<id>`) and `/monitoring/{id}/edit`: what to measure, when, how
//! often and when to alert. The domain's `JobRequest::validate` runs here before anything is sent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::monitoring::job::{MAX_PACKETS, MAX_PACKET_SIZE, MAX_TIMEOUT_MS, MIN_INTERVAL_MS};
use domain::monitoring::{JobRequest, JobSpec, Metric, TargetKind, Thresholds};
use domain::FieldErrors;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

use crate::api::{device_facets, list_devices};
use crate::components::alert::{ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::focus;
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::query::query_param;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::DeviceQuery;
use crate::monitoring::api::{edit_monitor_job, get_monitor_job, list_destinations, schedule_monitor_job};
use crate::monitoring::model::{DestinationQuery, JobDetail};
use crate::pages::monitoring::{fmt_span, now_utc, parse_span};
use crate::pages::ops_common::{field_error, parse_utc_local, shown_above};

const PICKER_PAGE: u32 = 25;
/// Form fields in display order: the first invalid one gets the focus.
const FIELDS: [&str; 16] = [
    "name",
    "targets",
    "destination_ids",
    "device_ids",
    "group",
    "tag",
    "starts_at",
    "ends_at",
    "interval_ms",
    "packets",
    "packet_size",
    "timeout_ms",
    "metrics",
    "thresholds",
    "alert_window",
    "cooldown_s",
];

fn input_id(field: &str) -> &'static str {
    match field {
        "name" => "job-name",
        "targets" | "destination_ids" => "dst-picker-search",
        "device_ids" => "dev-picker-search",
        "group" => "job-group",
        "tag" => "job-tag",
        "starts_at" => "job-start-at",
        "ends_at" => "job-end-at",
        "interval_ms" => "job-interval",
        "packets" => "job-packets",
        "packet_size" => "job-size",
        "timeout_ms" => "job-timeout",
        "metrics" => "metric-rtt_avg",
        "thresholds" => "job-th-rtt",
        "alert_window" => "job-window",
        "cooldown_s" => "job-cooldown",
        _ => "job-name",
    }
}

/// A chosen destination or device: id for the request, a name for people.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Picked {
    id: String,
    label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndMode {
    Open,
    At,
    After,
}

/// Where a form starts from: a blank request, a clone (new times) or an edit.
#[derive(Debug, Clone)]
struct Initial {
    request: JobRequest,
    destinations: Vec<Picked>,
    devices: Vec<Picked>,
    start_at: Option<DateTime<Utc>>,
    end_mode: EndMode,
    end_at: Option<DateTime<Utc>>,
    end_after: String,
}

impl Initial {
    fn blank() -> Self {
        Self {
            request: JobRequest::default(),
            destinations: Vec::new(),
            devices: Vec::new(),
            start_at: None,
            end_mode: EndMode::After,
            end_at: None,
            end_after: "1 h".to_owned(),
        }
    }

    fn picked(spec: &JobSpec, kind: TargetKind, ids: &[String]) -> Vec<Picked> {
        ids.iter()
            .map(|id| {
                let label = spec
                    .targets
                    .iter()
                    .find(|t| t.kind == kind && t.ref_id == *id)
                    .map_or_else(|| id.clone(), |t| format!("{} ({})", t.name, t.address));
                Picked { id: id.clone(), label }
            })
            .collect()
    }

    /// A clone starts now and lasts as long as the original did.
    fn clone_of(d: &JobDetail) -> Self {
        let spec = &d.spec;
        let mut request = spec.request.clone();
        request.name = format!("{} (copy)", spec.name);
        request.starts_at = None;
        request.ends_at = None;
        let (end_mode, end_after) = match spec.ends_at {
            Some(e) => (EndMode::After, fmt_span((e - spec.starts_at).num_seconds())),
            None => (EndMode::Open, String::new()),
        };
        Self {
            destinations: Self::picked(spec, TargetKind::Destination, &request.destination_ids),
            devices: Self::picked(spec, TargetKind::Device, &request.device_ids),
            request,
            start_at: None,
            end_mode,
            end_at: None,
            end_after,
        }
    }

    fn edit_of(d: &JobDetail) -> Self {
        let spec = &d.spec;
        let request = spec.request.clone();
        Self {
            destinations: Self::picked(spec, TargetKind::Destination, &request.destination_ids),
            devices: Self::picked(spec, TargetKind::Device, &request.device_ids),
            start_at: Some(spec.starts_at),
            end_mode: if spec.ends_at.is_some() { EndMode::At } else { EndMode::Open },
            end_at: spec.ends_at,
            end_after: String::new(),
            request,
        }
    }
}

fn local_input(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()).unwrap_or_default()
}

fn opt_num(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(s.parse::<f64>().unwrap_or(f64::NAN))
    }
}

fn num_text(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[component]
pub fn NewMonitorJobPage() -> impl IntoView {
    let clone = query_param("clone");
    let source = Resource::new(
        move || clone.get(),
        |id| async move {
            if id.is_empty() {
                Ok(None)
            } else {
                get_monitor_job(id).await.map(Some)
            }
        },
    );
    view! {
        <PageTitle text="New monitoring job"/>
        <section class="page narrow" data-testid="monitor-new">
            <Breadcrumbs items=crumbs(&[("Monitoring", Some("/monitoring")), ("New job", None)])/>
            <div class="page-head">
                <h1>"New monitoring job"</h1>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading…"/> }>
                {move || Suspend::new(async move {
                    match source.await {
                        Ok(None) => view! { <JobForm initial=Initial::blank() edit_id=None cloned_from=None/> }.into_any(),
                        Ok(Some(d)) => {
                            let from = d.job.id.clone();
                            view! {
                                <p class="muted" id="clone-note">"A copy of " <a href=format!("/monitoring/{from}")>{d.job.name.clone()}</a> ", starting now."</p>
                                <JobForm initial=Initial::clone_of(&d) edit_id=None cloned_from=Some(from.clone())/>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn EditMonitorJobPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    // Not keyed on live updates: a refresh would wipe what the user typed.
    let detail = Resource::new(move || id.get(), get_monitor_job);
    view! {
        <PageTitle text="Edit monitoring job"/>
        <section class="page narrow" data-testid="monitor-edit">
            <Transition fallback=|| view! { <Loading label="Loading job…"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            let href = format!("/monitoring/{}", d.job.id);
                            view! {
                                <Breadcrumbs items=vec![
                                    ("Monitoring".to_owned(), Some("/monitoring".to_owned())),
                                    (d.job.name.clone(), Some(href)),
                                    ("Edit".to_owned(), None),
                                ]/>
                                <div class="page-head">
                                    <h1>{format!("Edit {}", d.job.name)}</h1>
                                </div>
                                <JobForm initial=Initial::edit_of(&d) edit_id=Some(d.job.id.clone()) cloned_from=None/>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[allow(clippy::too_many_lines)]
#[component]
fn JobForm(initial: Initial, edit_id: Option<String>, cloned_from: Option<String>) -> impl IntoView {
    let r = initial.request.clone();
    let name = RwSignal::new(r.name.clone());
    let destinations = RwSignal::new(initial.destinations.clone());
    let devices = RwSignal::new(initial.devices.clone());
    let group = RwSignal::new(r.group.clone());
    let tag = RwSignal::new(r.tag.clone());
    let start_later = RwSignal::new(initial.start_at.is_some());
    let start_text = RwSignal::new(local_input(initial.start_at));
    let start_initial = (local_input(initial.start_at), initial.start_at);
    let end_mode = RwSignal::new(initial.end_mode);
    let end_text = RwSignal::new(local_input(initial.end_at));
    let end_after = RwSignal::new(initial.end_after.clone());
    let interval = RwSignal::new(r.interval_ms.to_string());
    let packets = RwSignal::new(r.packets.to_string());
    let size = RwSignal::new(r.packet_size.to_string());
    let timeout = RwSignal::new(r.timeout_ms.to_string());
    let metrics = RwSignal::new(r.metrics.clone());
    let th_rtt = RwSignal::new(num_text(r.thresholds.rtt_ms));
    let th_loss = RwSignal::new(num_text(r.thresholds.loss_pct));
    let th_jitter = RwSignal::new(num_text(r.thresholds.jitter_ms));
    let window = RwSignal::new(r.alert_window.to_string());
    let cooldown = RwSignal::new(r.cooldown_s.to_string());
    let target_thresholds = r.target_thresholds.clone();
    let error = RwSignal::new(None::<AppError>);
    let editing = edit_id.is_some();
    let edit_id = StoredValue::new(edit_id);
    let cloned_from = StoredValue::new(cloned_from);

    let toasts = use_toasts();
    let live = use_live();
    let navigate = use_navigate();
    let facets = Resource::new(|| (), |()| device_facets());

    let build = move || -> Result<JobRequest, FieldErrors> {
        let now = now_utc();
        let mut e = FieldErrors::default();
        let mut num = |field: &str, s: String| -> Option<u64> {
            let v = s.trim().parse::<u64>().ok();
            if v.is_none() {
                e.push(field, "must be a whole number");
            }
            v
        };
        let interval_ms = num("interval_ms", interval.get_untracked());
        let packets_v = num("packets", packets.get_untracked());
        let size_v = num("packet_size", size.get_untracked());
        let timeout_v = num("timeout_ms", timeout.get_untracked());
        let window_v = num("alert_window", window.get_untracked());
        let cooldown_v = num("cooldown_s", cooldown.get_untracked());
        let starts_at = if start_later.get_untracked() {
            let text = start_text.get_untracked();
            // An unchanged start keeps its exact instant (a running job's start may be in the past).
            if text == start_initial.0 && start_initial.1.is_some() {
                start_initial.1
            } else {
                let t = parse_utc_local(&text);
                if t.is_none() {
                    e.push("starts_at", "enter a date and time (UTC), or choose “now”");
                }
                t
            }
        } else {
            None
        };
        let ends_at = match end_mode.get_untracked() {
            EndMode::Open => None,
            EndMode::At => {
                let t = parse_utc_local(&end_text.get_untracked());
                if t.is_none() {
                    e.push("ends_at", "enter a date and time (UTC)");
                }
                t
            }
            EndMode::After => {
                let d = parse_span(&end_after.get_untracked());
                if d.is_none() {
                    e.push("ends_at", "enter a duration such as 20 s, 30 min, 1 h or 2 d");
                }
                d.map(|d| starts_at.unwrap_or(now) + d)
            }
        };
        let clamp16 = |v: Option<u64>| v.map_or(0, |v| u16::try_from(v).unwrap_or(u16::MAX));
        let clamp32 = |v: Option<u64>| v.map_or(0, |v| u32::try_from(v).unwrap_or(u32::MAX));
        let req = JobRequest {
            name: name.get_untracked().trim().to_owned(),
            destination_ids: destinations.with_untracked(|l| l.iter().map(|p| p.id.clone()).collect()),
            device_ids: devices.with_untracked(|l| l.iter().map(|p| p.id.clone()).collect()),
            group: group.get_untracked().trim().to_owned(),
            tag: tag.get_untracked().trim().to_owned(),
            starts_at,
            ends_at,
            interval_ms: clamp32(interval_ms),
            packets: clamp16(packets_v),
            packet_size: clamp16(size_v),
            timeout_ms: clamp32(timeout_v),
            metrics: metrics.get_untracked(),
            thresholds: Thresholds {
                rtt_ms: opt_num(&th_rtt.get_untracked()),
                loss_pct: opt_num(&th_loss.get_untracked()),
                jitter_ms: opt_num(&th_jitter.get_untracked()),
            },
            target_thresholds: target_thresholds.clone(),
            alert_window: clamp16(window_v),
            cooldown_s: clamp32(cooldown_v),
        };
        let domain = if editing { req.validate_edit(now, start_initial.1) } else { req.validate(now) };
        if let Err(d) = domain {
            for fe in d.0 {
                // A field that did not parse keeps its own message rather than a range error.
                if e.get(&fe.field).is_none() {
                    e.0.push(fe);
                }
            }
        }
        if e.is_empty() {
            Ok(req)
        } else {
            Err(e)
        }
    };

    let submit_action = Action::new(move |req: &JobRequest| {
        let req = req.clone();
        async move {
            match edit_id.get_value() {
                Some(id) => edit_monitor_job(id.clone(), req).await.map(|()| id),
                None => schedule_monitor_job(req, cloned_from.get_value()).await,
            }
        }
    });
    let pending = submit_action.pending();
    Effect::new(move |_| {
        let Some(result) = submit_action.value().get() else {
            return;
        };
        match result {
            Ok(id) => {
                toasts.success(if editing { "Job updated" } else { "Job scheduled" });
                live.update(|n| *n += 1);
                navigate(&format!("/monitoring/{id}"), NavigateOptions::default());
            }
            Err(e) => {
                toasts.error(e.to_string());
                if let Some(f) = e.field_errors() {
                    if let Some(first) = FIELDS.iter().find(|k| f.get(k).is_some()) {
                        focus(input_id(first));
                    }
                }
                error.set(Some(e));
            }
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match build() {
            Ok(req) => {
                error.set(None);
                submit_action.dispatch(req);
            }
            Err(f) => {
                if let Some(first) = FIELDS.iter().find(|k| f.get(k).is_some()) {
                    focus(input_id(first));
                }
                error.set(Some(AppError::Invalid(f)));
            }
        }
    };

    let targets_error = move || {
        error.with(|e| {
            e.as_ref().and_then(AppError::field_errors).and_then(|f| {
                ["targets", "destination_ids", "device_ids", "group", "tag"]
                    .iter()
                    .find_map(|k| f.get(k).map(str::to_owned))
            })
        })
    };
    let num_input = move |id: &'static str, sig: RwSignal<String>, min: String, max: String| {
        view! {
            <input
                id=id
                type="number"
                inputmode="numeric"
                min=min
                max=max
                prop:value=move || sig.get()
                on:input=move |ev| sig.set(event_target_value(&ev))
            />
        }
    };
    let th_input = move |id: &'static str, sig: RwSignal<String>, max: &'static str| {
        view! {
            <input
                id=id
                type="number"
                inputmode="decimal"
                step="any"
                min="0"
                max=max
                placeholder="no alert"
                prop:value=move || sig.get()
                on:input=move |ev| sig.set(event_target_value(&ev))
            />
        }
    };

    view! {
        <form class="form monitor-form" id="monitor-form" on:submit=on_submit novalidate>
            {move || error.get().filter(|e| shown_above(e, &FIELDS)).map(|e| view! { <ErrorBox error=e/> })}
            <Field label="Name" id="job-name" error=field_error(error, "name") required=true>
                <input
                    id="job-name"
                    type="text"
                    autocomplete="off"
                    placeholder="e.g. EU branches after the WAN change"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </Field>

            <fieldset class="fieldset" id="job-targets">
                <legend>"Targets"</legend>
                <p class="hint">"Any combination: destinations, devices, every device of a group, everything tagged."</p>
                {move || targets_error().map(|m| view! { <p class="field-error" id="job-targets-error" role="alert">{m}</p> })}
                <h3 class="small-head">"Destinations"</h3>
                <DestinationPicker picked=destinations/>
                <h3 class="small-head">"Devices"</h3>
                <DevicePicker picked=devices/>
                <div class="form-grid">
                    <Field label="Group" id="job-group" error=Signal::derive(|| None::<String>) hint="devices in this group and below">
                        <input
                            id="job-group"
                            type="text"
                            list="job-group-options"
                            autocomplete="off"
                            prop:value=move || group.get()
                            on:input=move |ev| group.set(event_target_value(&ev))
                        />
                    </Field>
                    <Field label="Tag" id="job-tag" error=Signal::derive(|| None::<String>) hint="devices and destinations with this tag">
                        <input
                            id="job-tag"
                            type="text"
                            list="job-tag-options"
                            autocomplete="off"
                            prop:value=move || tag.get()
                            on:input=move |ev| tag.set(event_target_value(&ev))
                        />
                    </Field>
                </div>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let f = facets.await.unwrap_or_default();
                        view! {
                            <datalist id="job-group-options">
                                {f.groups.iter().filter(|g| !g.key.is_empty()).map(|g| view! { <option value=g.key.clone()/> }).collect_view()}
                            </datalist>
                            <datalist id="job-tag-options">
                                {f.tags.iter().map(|t| view! { <option value=t.key.clone()/> }).collect_view()}
                            </datalist>
                        }
                    })}
                </Transition>
            </fieldset>

            <fieldset class="fieldset" id="job-when">
                <legend>"Window (UTC)"</legend>
                <div class="form-grid">
                    <div class="field" class:has-error=move || field_error(error, "starts_at").with(Option::is_some)>
                        <span class="label">"Start"</span>
                        <div class="radio-row" role="radiogroup" aria-label="Start">
                            <label>
                                <input type="radio" name="start_mode" id="job-start-now" prop:checked=move || !start_later.get() on:change=move |_| start_later.set(false)/>
                                " now"
                            </label>
                            <label>
                                <input type="radio" name="start_mode" id="job-start-later" prop:checked=move || start_later.get() on:change=move |_| start_later.set(true)/>
                                " at"
                            </label>
                        </div>
                        <label for="job-start-at" class="sr-only">"Start at (UTC)"</label>
                        <input
                            id="job-start-at"
                            type="datetime-local"
                            step="1"
                            disabled=move || !start_later.get()
                            prop:value=move || start_text.get()
                            on:input=move |ev| start_text.set(event_target_value(&ev))
                        />
                        {move || field_error(error, "starts_at").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                    <div class="field" class:has-error=move || field_error(error, "ends_at").with(Option::is_some)>
                        <span class="label">"End"</span>
                        <div class="radio-row" role="radiogroup" aria-label="End">
                            <label>
                                <input type="radio" name="end_mode" id="job-end-open" prop:checked=move || end_mode.get() == EndMode::Open on:change=move |_| end_mode.set(EndMode::Open)/>
                                " open-ended"
                            </label>
                            <label>
                                <input type="radio" name="end_mode" id="job-end-after-mode" prop:checked=move || end_mode.get() == EndMode::After on:change=move |_| end_mode.set(EndMode::After)/>
                                " after"
                            </label>
                            <label>
                                <input type="radio" name="end_mode" id="job-end-at-mode" prop:checked=move || end_mode.get() == EndMode::At on:change=move |_| end_mode.set(EndMode::At)/>
                                " at"
                            </label>
                        </div>
                        <Show when=move || end_mode.get() == EndMode::After>
                            <label for="job-end-after" class="sr-only">"Duration"</label>
                            <input
                                id="job-end-after"
                                type="text"
                                autocomplete="off"
                                placeholder="e.g. 20 s, 30 min, 1 h, 2 d"
                                prop:value=move || end_after.get()
                                on:input=move |ev| end_after.set(event_target_value(&ev))
                            />
                        </Show>
                        <Show when=move || end_mode.get() == EndMode::At>
                            <label for="job-end-at" class="sr-only">"End at (UTC)"</label>
                            <input
                                id="job-end-at"
                                type="datetime-local"
                                step="1"
                                prop:value=move || end_text.get()
                                on:input=move |ev| end_text.set(event_target_value(&ev))
                            />
                        </Show>
                        {move || field_error(error, "ends_at").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                </div>
            </fieldset>

            <fieldset class="fieldset" id="job-rounds">
                <legend>"Rounds"</legend>
                <div class="form-grid form-grid-4">
                    <Field label="Interval (ms)" id="job-interval" error=field_error(error, "interval_ms") hint=format!("at least {MIN_INTERVAL_MS} ms")>
                        {num_input("job-interval", interval, MIN_INTERVAL_MS.to_string(), "3600000".to_owned())}
                    </Field>
                    <Field label="Packets per round" id="job-packets" error=field_error(error, "packets")>
                        {num_input("job-packets", packets, "1".to_owned(), MAX_PACKETS.to_string())}
                    </Field>
                    <Field label="Packet size (bytes)" id="job-size" error=field_error(error, "packet_size")>
                        {num_input("job-size", size, "0".to_owned(), MAX_PACKET_SIZE.to_string())}
                    </Field>
                    <Field label="Timeout (ms)" id="job-timeout" error=field_error(error, "timeout_ms")>
                        {num_input("job-timeout", timeout, "10".to_owned(), MAX_TIMEOUT_MS.to_string())}
                    </Field>
                </div>
                <div class="field" class:has-error=move || field_error(error, "metrics").with(Option::is_some)>
                    <span class="label">"Metrics recorded"</span>
                    <div class="check-row" id="job-metrics">
                        {Metric::ALL
                            .into_iter()
                            .map(|m| {
                                let id = format!("metric-{}", m.as_str());
                                let for_id = id.clone();
                                view! {
                                    <label for=for_id class="check">
                                        <input
                                            type="checkbox"
                                            id=id
                                            prop:checked=move || metrics.with(|l| l.contains(&m))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                metrics.update(|l| {
                                                    l.retain(|x| *x != m);
                                                    if on {
                                                        l.push(m);
                                                        l.sort();
                                                    }
                                                });
                                            }
                                        />
                                        " "
                                        {m.label()}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                    {move || field_error(error, "metrics").get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
            </fieldset>

            <fieldset class="fieldset" id="job-alerts">
                <legend>"Alerts"</legend>
                <p class="hint">"Leave a threshold empty for no alert on it. Each target is judged on its average over the window."</p>
                <div class="form-grid form-grid-3">
                    <Field label="RTT above (ms)" id="job-th-rtt" error=field_error(error, "thresholds")>
                        {th_input("job-th-rtt", th_rtt, "60000")}
                    </Field>
                    <Field label="Loss above (%)" id="job-th-loss" error=Signal::derive(|| None::<String>)>
                        {th_input("job-th-loss", th_loss, "100")}
                    </Field>
                    <Field label="Jitter above (ms)" id="job-th-jitter" error=Signal::derive(|| None::<String>)>
                        {th_input("job-th-jitter", th_jitter, "60000")}
                    </Field>
                    <Field label="Window (rounds)" id="job-window" error=field_error(error, "alert_window")>
                        {num_input("job-window", window, "1".to_owned(), "1000".to_owned())}
                    </Field>
                    <Field label="Cooldown (s)" id="job-cooldown" error=field_error(error, "cooldown_s") hint="no new alert for this long after one">
                        {num_input("job-cooldown", cooldown, "1".to_owned(), "86400".to_owned())}
                    </Field>
                </div>
            </fieldset>

            <div class="form-actions">
                <button type="submit" id="job-submit" class="btn btn-primary" disabled=move || pending.get()>
                    {move || match (pending.get(), editing, start_later.get()) {
                        (true, _, _) => "Saving…",
                        (false, true, _) => "Save changes",
                        (false, false, true) => "Schedule job",
                        (false, false, false) => "Start job",
                    }}
                </button>
                <a href="/monitoring" class="btn btn-ghost">"Cancel"</a>
            </div>
        </form>
    }
}

/// The chosen items as removable chips.
#[component]
fn PickedList(picked: RwSignal<Vec<Picked>>, #[prop(into)] empty: String, kind: &'static str) -> impl IntoView {
    view! {
        <div class="picked" aria-live="polite" data-kind=kind>
            {move || {
                let list = picked.get();
                if list.is_empty() {
                    view! { <p class="muted small">{empty.clone()}</p> }.into_any()
                } else {
                    view! {
                        <ul class="chips picked-list">
                            {list
                                .into_iter()
                                .map(|p| {
                                    let label = format!("Remove {}", p.label);
                                    let id = p.id.clone();
                                    view! {
                                        <li class="chip" data-id=p.id.clone()>
                                            {p.label.clone()}
                                            <button
                                                type="button"
                                                class="chip-remove"
                                                aria-label=label
                                                on:click=move |_| picked.update(|l| l.retain(|x| x.id != id))
                                            >
                                                "×"
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

fn toggle(picked: RwSignal<Vec<Picked>>, p: Picked, on: bool) {
    picked.update(|list| {
        if on {
            if !list.iter().any(|x| x.id == p.id) {
                list.push(p);
            }
        } else {
            list.retain(|x| x.id != p.id);
        }
    });
}

/// One search result of a picker.
struct PickerRow {
    picked: Picked,
    title: String,
    address: String,
    detail: String,
}

/// Search results as checkboxes bound to `picked`; `more` results were left out of the page.
fn picker_results(
    list_id: &'static str,
    class: &'static str,
    prefix: &'static str,
    rows: Vec<PickerRow>,
    more: i64,
    picked: RwSignal<Vec<Picked>>,
) -> impl IntoView {
    view! {
        <ul class=class id=list_id>
            {rows
                .into_iter()
                .map(|r| {
                    let id = format!("{prefix}-{}", r.picked.id);
                    let for_id = id.clone();
                    let did = r.picked.id.clone();
                    let p = r.picked;
                    let name = r.title.clone();
                    view! {
                        <li data-name=name>
                            <input
                                type="checkbox"
                                id=id
                                prop:checked=move || picked.with(|l| l.iter().any(|x| x.id == did))
                                on:change=move |ev| toggle(picked, p.clone(), event_target_checked(&ev))
                            />
                            <label for=for_id>
                                <strong>{r.title}</strong>
                                " "
                                <span class="muted small mono">{r.address}</span>
                                " "
                                <span class="muted small">{r.detail}</span>
                            </label>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {(more > 0).then(|| view! { <p class="muted small">{format!("{more} more: refine the search.")}</p> })}
    }
}

/// A debounced search box: `q` follows `text` 250 ms after the last keystroke (Enter: at once).
fn search_box(id: &'static str, label: &'static str, placeholder: &'static str, q: RwSignal<String>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let timer = StoredValue::new(None::<TimeoutHandle>);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="search"
                autocomplete="off"
                placeholder=placeholder
                prop:value=move || text.get()
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    text.set(v.clone());
                    if let Some(h) = timer.get_value() {
                        h.clear();
                    }
                    timer.set_value(set_timeout_with_handle(move || q.set(v.trim().to_owned()), Duration::from_millis(250)).ok());
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        q.set(text.get_untracked().trim().to_owned());
                    }
                }
            />
        </div>
    }
}

#[component]
fn DestinationPicker(picked: RwSignal<Vec<Picked>>) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let results = Resource::new(
        move || q.get(),
        |q| list_destinations(DestinationQuery { q, per_page: PICKER_PAGE, page: 1, ..DestinationQuery::default() }),
    );
    view! {
        <div class="picker" data-testid="destination-picker">
            <PickedList picked empty="No destination chosen." kind="destination"/>
            {search_box("dst-picker-search", "Find destinations", "name, address, site, city…", q)}
            <Transition fallback=|| view! { <p class="muted small">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(page) if page.items.is_empty() => {
                            view! { <p class="muted small">"No destination matches. " <a href="/destinations">"Add destinations"</a></p> }.into_any()
                        }
                        Ok(page) => {
                            let more = page.total - i64::try_from(page.items.len()).unwrap_or(0);
                            let rows = page
                                .items
                                .into_iter()
                                .map(|d| PickerRow {
                                    detail: [d.site, d.city, d.country].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "),
                                    picked: Picked { id: d.id, label: format!("{} ({})", d.name, d.address) },
                                    title: d.name,
                                    address: d.address,
                                })
                                .collect();
                            picker_results("dst-picker-results", "picker-results", "pick-dst", rows, more, picked).into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn DevicePicker(picked: RwSignal<Vec<Picked>>) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let results = Resource::new(
        move || q.get(),
        |q| list_devices(DeviceQuery { q, per_page: PICKER_PAGE, page: 1, ..DeviceQuery::default() }),
    );
    view! {
        <div class="picker" data-testid="device-picker">
            <PickedList picked empty="No device chosen." kind="device"/>
            {search_box("dev-picker-search", "Find devices", "hostname, address, model…", q)}
            <Transition fallback=|| view! { <p class="muted small">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted small">"No device matches."</p> }.into_any(),
                        Ok(page) => {
                            let more = page.total - i64::try_from(page.items.len()).unwrap_or(0);
                            let rows = page
                                .items
                                .into_iter()
                                .map(|d| PickerRow {
                                    detail: String::new(),
                                    picked: Picked { id: d.id, label: format!("{} ({})", d.hostname, d.address) },
                                    title: d.hostname,
                                    address: d.address,
                                })
                                .collect();
                            picker_results("dev-picker-results", "picker-results picker-results-short", "pick-dev", rows, more, picked)
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
