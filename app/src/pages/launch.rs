//! `/operations/new`: choose what to run and on which devices, then start it (or schedule it).

use std::str::FromStr;
use std::time::Duration;

use domain::identity::Permission;
use domain::operation::{OperationKind, OperationRequest, MAX_CONCURRENCY};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::{device_facets, get_device, list_devices, request_operation};
use crate::components::alert::ErrorBox;
use crate::components::badges::platform_label;
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::focus;
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::query::query_param;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::DeviceQuery;
use crate::pages::ops_common::{
    field_error, kind_label, parse_utc_local, shown_above, text_lines, ConfirmDialog, IfCanElse,
};

const DEFAULT_CONCURRENCY: u16 = 20;
/// Fields whose errors show next to their input (the rest show above the form).
const LAUNCH_FIELDS: &[&str] = &[
    "kind",
    "targets",
    "device_ids",
    "commands",
    "config_lines",
    "restore_version",
    "reason",
    "concurrency",
    "scheduled_at",
];
const PICKER_PAGE: u32 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetMode {
    Devices,
    Group,
    Tag,
}

impl TargetMode {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Devices => "devices",
            Self::Group => "group",
            Self::Tag => "tag",
        }
    }
}

/// A picked device: id for the request, hostname for people.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Picked {
    id: String,
    hostname: String,
}

#[component]
pub fn LaunchPage() -> impl IntoView {
    let device_param = query_param("device");
    let tag_param = query_param("tag");
    let group_param = query_param("group");
    let kind_param = query_param("kind");

    let initial_mode = if !tag_param.get_untracked().is_empty() {
        TargetMode::Tag
    } else if !group_param.get_untracked().is_empty() {
        TargetMode::Group
    } else {
        TargetMode::Devices
    };
    let initial_kind = OperationKind::from_str(&kind_param.get_untracked()).unwrap_or(OperationKind::Connectivity);

    let kind = RwSignal::new(initial_kind);
    let mode = RwSignal::new(initial_mode);
    let picked = RwSignal::new(Vec::<Picked>::new());
    let group = RwSignal::new(group_param.get_untracked());
    let tag = RwSignal::new(tag_param.get_untracked());
    let commands = RwSignal::new(String::new());
    let config_lines = RwSignal::new(String::new());
    let restore_version = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let concurrency = RwSignal::new(DEFAULT_CONCURRENCY.to_string());
    let schedule = RwSignal::new(String::new());
    let rollback = RwSignal::new(true);
    let error = RwSignal::new(None::<AppError>);
    let confirm_open = RwSignal::new(false);

    let toasts = use_toasts();
    let live = use_live();
    let navigate = use_navigate();
    let facets = Resource::new(|| (), |()| device_facets());

    // `?device=ID` preselects that device (the device page links here); its hostname is looked up.
    Effect::new(move |_| {
        let id = device_param.get();
        if id.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(d) = get_device(id).await {
                let p = Picked { id: d.device.id, hostname: d.device.hostname };
                picked.update(|list| {
                    if !list.iter().any(|x| x.id == p.id) {
                        list.push(p);
                    }
                });
            }
        });
    });

    let launch = Action::new(move |req: &OperationRequest| {
        let req = req.clone();
        async move { request_operation(req).await }
    });
    let pending = launch.pending();
    Effect::new(move |_| {
        let Some(result) = launch.value().get() else {
            return;
        };
        match result {
            Ok(id) => {
                confirm_open.set(false);
                toasts.success(format!("{} started", kind_label(kind.get_untracked().as_str())));
                live.update(|n| *n += 1);
                navigate(&format!("/operations/{id}"), NavigateOptions::default());
            }
            Err(e) => {
                confirm_open.set(false);
                toasts.error(e.to_string());
                if let Some(f) = e.field_errors() {
                    let order = [
                        "targets",
                        "commands",
                        "config_lines",
                        "restore_version",
                        "reason",
                        "concurrency",
                        "scheduled_at",
                    ];
                    if let Some(first) = order.iter().find(|k| f.get(k).is_some()) {
                        focus(&input_id(first, mode.get_untracked()));
                    }
                }
                error.set(Some(e));
            }
        }
    });

    let build = move || -> Result<OperationRequest, AppError> {
        let k = kind.get_untracked();
        let mut e = domain::FieldErrors::default();
        let (device_ids, group_v, tag_v) = match mode.get_untracked() {
            TargetMode::Devices => {
                (picked.with_untracked(|p| p.iter().map(|x| x.id.clone()).collect()), String::new(), String::new())
            }
            TargetMode::Group => (Vec::new(), group.get_untracked().trim().to_owned(), String::new()),
            TargetMode::Tag => (Vec::new(), String::new(), tag.get_untracked().trim().to_owned()),
        };
        if device_ids.is_empty() && group_v.is_empty() && tag_v.is_empty() {
            e.push("targets", "choose at least one device, a group or a tag");
        }
        let reason_v = reason.get_untracked().trim().to_owned();
        if k.changes_config() && reason_v.is_empty() {
            e.push("reason", "say why this change is made (kept in the audit trail)");
        }
        let conc = concurrency.get_untracked();
        let conc = match conc.trim().parse::<u16>() {
            Ok(c) if (1..=MAX_CONCURRENCY).contains(&c) => Some(c),
            _ => {
                e.push("concurrency", format!("must be a number between 1 and {MAX_CONCURRENCY}"));
                None
            }
        };
        let sched = schedule.get_untracked();
        let scheduled_at = if sched.trim().is_empty() {
            None
        } else {
            let t = parse_utc_local(&sched);
            if t.is_none() {
                e.push("scheduled_at", "is not a valid date and time");
            }
            t
        };
        let restore = if k == OperationKind::Restore {
            let v = restore_version.get_untracked().trim().parse::<i64>().ok().filter(|v| *v > 0);
            if v.is_none() {
                e.push("restore_version", "choose the version to restore");
            }
            v
        } else {
            None
        };
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        Ok(OperationRequest {
            kind: k.as_str().to_owned(),
            device_ids,
            group: group_v,
            tag: tag_v,
            commands: if k == OperationKind::Show { text_lines(&commands.get_untracked()) } else { Vec::new() },
            config_lines: if k == OperationKind::Push { text_lines(&config_lines.get_untracked()) } else { Vec::new() },
            candidate: None,
            restore_version: restore,
            reason: reason_v,
            concurrency: conc,
            scheduled_at,
            rollback_on_failure: k.changes_config().then(|| rollback.get_untracked()),
        })
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match build() {
            Ok(req) => {
                error.set(None);
                // A push changes devices: show what is about to happen and ask once more.
                if kind.get_untracked() == OperationKind::Push {
                    confirm_open.set(true);
                } else {
                    launch.dispatch(req);
                }
            }
            Err(e) => {
                if let Some(f) = e.field_errors() {
                    let order = ["targets", "restore_version", "reason", "concurrency", "scheduled_at"];
                    if let Some(first) = order.iter().find(|k| f.get(k).is_some()) {
                        focus(&input_id(first, mode.get_untracked()));
                    }
                }
                error.set(Some(e));
            }
        }
    };

    let confirm_summary = move || {
        let targets = match mode.get() {
            TargetMode::Devices => picked.with(|p| {
                let names: Vec<&str> = p.iter().map(|x| x.hostname.as_str()).collect();
                format!("{} device{}: {}", p.len(), if p.len() == 1 { "" } else { "s" }, names.join(", "))
            }),
            TargetMode::Group => format!("every active device in group {} and below", group.get().trim()),
            TargetMode::Tag => format!("every active device tagged {}", tag.get().trim()),
        };
        let lines = config_lines.with(|s| text_lines(s).join("\n"));
        let when = if schedule.with(|s| s.trim().is_empty()) {
            "now".to_owned()
        } else {
            format!("at {} UTC", schedule.get())
        };
        view! {
            <dl class="facts">
                <dt>"Targets"</dt>
                <dd data-testid="confirm-targets">{targets}</dd>
                <dt>"Reason"</dt>
                <dd>{reason.get()}</dd>
                <dt>"When"</dt>
                <dd>{when}</dd>
                <dt>"Rollback"</dt>
                <dd>{if rollback.get() { "automatic when a post-check fails" } else { "none" }}</dd>
            </dl>
            <p class="small muted">"Configuration lines to send:"</p>
            <pre class="code" data-testid="confirm-lines">{lines}</pre>
        }
    };

    view! {
        <PageTitle text="New operation"/>
        <section class="page" data-testid="launch-page">
            <Breadcrumbs items=crumbs(&[("Operations", Some("/operations")), ("New operation", None)])/>
            <div class="page-head">
                <h1>"New operation"</h1>
            </div>
            <form class="form launch-form" id="launch-form" on:submit=on_submit novalidate>
                {move || error.get().filter(|e| shown_above(e, LAUNCH_FIELDS)).map(|e| view! { <ErrorBox error=e/> })}
                <Field label="Operation" id="op-kind" error=field_error(error, "kind") required=true>
                    <select
                        id="op-kind"
                        name="kind"
                        on:change=move |ev| {
                            if let Ok(k) = OperationKind::from_str(&event_target_value(&ev)) {
                                kind.set(k);
                                error.set(None);
                            }
                        }
                    >
                        {OperationKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.as_str() selected=move || kind.get() == k>{k.label()}</option> })
                            .collect_view()}
                    </select>
                </Field>
                <p class="hint" id="op-kind-help">{move || kind_help(kind.get())}</p>

                <fieldset class="fieldset" id="op-targets">
                    <legend>"Targets"</legend>
                    <div class="segmented" role="radiogroup" aria-label="Choose targets by">
                        {[TargetMode::Devices, TargetMode::Group, TargetMode::Tag]
                            .into_iter()
                            .map(|m| {
                                let id = format!("target-mode-{}", m.as_str());
                                let label = match m {
                                    TargetMode::Devices => "Devices",
                                    TargetMode::Group => "Group",
                                    TargetMode::Tag => "Tag",
                                };
                                let for_id = id.clone();
                                view! {
                                    <label for=for_id class="segment" class:active=move || mode.get() == m>
                                        <input
                                            type="radio"
                                            id=id
                                            name="target_mode"
                                            value=m.as_str()
                                            prop:checked=move || mode.get() == m
                                            checked=initial_mode == m
                                            on:change=move |_| {
                                                mode.set(m);
                                                error.set(None);
                                            }
                                        />
                                        {label}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                    {move || {
                        error
                            .with(|e| e.as_ref().and_then(AppError::field_errors).and_then(|f| f.get("targets").or_else(|| f.get("device_ids")).map(str::to_owned)))
                            .map(|m| view! { <p class="field-error" id="op-targets-error" role="alert">{m}</p> })
                    }}
                    {move || match mode.get() {
                        TargetMode::Devices => view! { <DevicePicker picked/> }.into_any(),
                        TargetMode::Group => {
                            view! {
                                <Field label="Group" id="op-group" error=Signal::derive(|| None::<String>) hint="every active device in this group and its sub-groups">
                                    <input
                                        id="op-group"
                                        name="group"
                                        type="text"
                                        list="op-group-options"
                                        autocomplete="off"
                                        value=group.get_untracked()
                                        prop:value=move || group.get()
                                        on:input=move |ev| group.set(event_target_value(&ev))
                                    />
                                </Field>
                            }
                                .into_any()
                        }
                        TargetMode::Tag => {
                            view! {
                                <Field label="Tag" id="op-tag" error=Signal::derive(|| None::<String>) hint="every active device carrying this tag">
                                    <input
                                        id="op-tag"
                                        name="tag"
                                        type="text"
                                        list="op-tag-options"
                                        autocomplete="off"
                                        value=tag.get_untracked()
                                        prop:value=move || tag.get()
                                        on:input=move |ev| tag.set(event_target_value(&ev))
                                    />
                                </Field>
                            }
                                .into_any()
                        }
                    }}
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let f = facets.await.unwrap_or_default();
                            view! {
                                <datalist id="op-group-options">
                                    {f.groups.iter().filter(|g| !g.key.is_empty()).map(|g| view! { <option value=g.key.clone()/> }).collect_view()}
                                </datalist>
                                <datalist id="op-tag-options">
                                    {f.tags.iter().map(|t| view! { <option value=t.key.clone()/> }).collect_view()}
                                </datalist>
                            }
                        })}
                    </Transition>
                </fieldset>

                <Show when=move || kind.get() == OperationKind::Show>
                    <Field
                        label="Show commands"
                        id="op-commands"
                        error=field_error(error, "commands")
                        required=true
                        hint="One command per line."
                    >
                        <textarea
                            id="op-commands"
                            name="commands"
                            rows="5"
                            class="mono"
                            spellcheck="false"
                            placeholder="show version\nshow ip interface brief"
                            prop:value=move || commands.get()
                            on:input=move |ev| commands.set(event_target_value(&ev))
                        ></textarea>
                    </Field>
                    <p class="alert alert-warn small" id="op-allowlist-note">
                        <IfCanElse
                            perm=Permission::RunAnyCommand
                            otherwise=|| {
                                "Only read-only commands are allowed: show, ping and traceroute, without output redirection (| redirect, | tee …)."
                            }
                        >
                            "As an administrator you may run any command. Engineers are limited to the read-only allowlist (show, ping, traceroute; no output redirection)."
                        </IfCanElse>
                    </p>
                </Show>
                <Show when=move || kind.get() == OperationKind::Push>
                    <Field
                        label="Configuration lines"
                        id="op-config-lines"
                        error=field_error(error, "config_lines")
                        required=true
                        hint="Configuration-mode syntax, one per line; indentation is kept. Saved to startup after the post-checks pass."
                    >
                        <textarea
                            id="op-config-lines"
                            name="config_lines"
                            rows="8"
                            class="mono"
                            spellcheck="false"
                            placeholder="interface GigabitEthernet0/1\n description uplink to core"
                            prop:value=move || config_lines.get()
                            on:input=move |ev| config_lines.set(event_target_value(&ev))
                        ></textarea>
                    </Field>
                </Show>
                <Show when=move || kind.get() == OperationKind::Restore>
                    <Field
                        label="Version to restore"
                        id="op-restore-version"
                        error=field_error(error, "restore_version")
                        required=true
                        hint="A configuration version of the (single) target device; see its Configuration tab."
                    >
                        <input
                            id="op-restore-version"
                            name="restore_version"
                            type="number"
                            min="1"
                            prop:value=move || restore_version.get()
                            on:input=move |ev| restore_version.set(event_target_value(&ev))
                        />
                    </Field>
                </Show>
                <Show when=move || kind.get().changes_config()>
                    <div class="field field-check">
                        <input
                            id="op-rollback"
                            name="rollback_on_failure"
                            type="checkbox"
                            prop:checked=move || rollback.get()
                            on:change=move |ev| rollback.set(event_target_checked(&ev))
                        />
                        <label for="op-rollback">"Roll back automatically when a post-check fails"</label>
                    </div>
                </Show>

                <Field
                    label="Reason"
                    id="op-reason"
                    error=field_error(error, "reason")
                    required=kind.get_untracked().changes_config()
                    hint="Kept in the audit trail; required for push and restore."
                >
                    <input
                        id="op-reason"
                        name="reason"
                        type="text"
                        autocomplete="off"
                        placeholder="e.g. CHG-1234 new uplink"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    />
                </Field>
                <div class="form-grid">
                    <Field label="Concurrency" id="op-concurrency" error=field_error(error, "concurrency") hint="devices worked on at the same time">
                        <input
                            id="op-concurrency"
                            name="concurrency"
                            type="number"
                            min="1"
                            max=MAX_CONCURRENCY.to_string()
                            value=DEFAULT_CONCURRENCY.to_string()
                            prop:value=move || concurrency.get()
                            on:input=move |ev| concurrency.set(event_target_value(&ev))
                        />
                    </Field>
                    <Field label="Run at (UTC)" id="op-schedule" error=field_error(error, "scheduled_at") hint="leave empty to run now">
                        <input
                            id="op-schedule"
                            name="scheduled_at"
                            type="datetime-local"
                            prop:value=move || schedule.get()
                            on:input=move |ev| schedule.set(event_target_value(&ev))
                        />
                    </Field>
                </div>
                <div class="form-actions">
                    <button type="submit" id="op-submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || {
                            if pending.get() {
                                "Starting…".to_owned()
                            } else if schedule.with(|s| s.trim().is_empty()) {
                                format!("Run {}", kind_label(kind.get().as_str()).to_lowercase())
                            } else {
                                "Schedule".to_owned()
                            }
                        }}
                    </button>
                    <a href="/operations" class="btn btn-ghost">"Cancel"</a>
                </div>
            </form>
            <ConfirmDialog
                open=confirm_open
                title="Push this configuration?"
                confirm_label="Push configuration"
                confirm_id="push-confirm"
                danger=true
                pending=pending
                on_confirm=Callback::new(move |()| {
                    if let Ok(req) = build() {
                        launch.dispatch(req);
                    }
                })
            >
                {confirm_summary}
            </ConfirmDialog>
        </section>
    }
}

/// The element to focus for a field error.
fn input_id(field: &str, mode: TargetMode) -> String {
    match field {
        "targets" | "device_ids" => match mode {
            TargetMode::Devices => "device-picker-search".into(),
            TargetMode::Group => "op-group".into(),
            TargetMode::Tag => "op-tag".into(),
        },
        "commands" => "op-commands".into(),
        "config_lines" => "op-config-lines".into(),
        "restore_version" => "op-restore-version".into(),
        "reason" => "op-reason".into(),
        "concurrency" => "op-concurrency".into(),
        "scheduled_at" => "op-schedule".into(),
        _ => "op-kind".into(),
    }
}

const fn kind_help(k: OperationKind) -> &'static str {
    match k {
        OperationKind::Connectivity => "TCP reachability, SSH login and ping, each timed.",
        OperationKind::Show => "Runs show commands and keeps their output.",
        OperationKind::Backup => {
            "Backs up running and startup configuration; a new version is recorded only when the configuration changed."
        }
        OperationKind::Push => {
            "Sends configuration lines with pre- and post-checks (interfaces, neighbors, routes, CPU) and saves them."
        }
        OperationKind::Restore => {
            "Brings one device back to a stored configuration version, with the same checks as a push."
        }
        OperationKind::Health => "CPU, memory, uptime and interface state and error counters, parsed into fields.",
    }
}

/// Search the inventory and tick devices; the picked ones stay listed above the results.
#[component]
fn DevicePicker(picked: RwSignal<Vec<Picked>>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let results = Resource::new(
        move || q.get(),
        |q| list_devices(DeviceQuery { q, per_page: PICKER_PAGE, page: 1, ..DeviceQuery::default() }),
    );
    let on_input = move |ev| {
        let v = event_target_value(&ev);
        text.set(v.clone());
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(move || q.set(v.trim().to_owned()), Duration::from_millis(250)).ok();
        timer.set_value(h);
    };
    let toggle = move |p: Picked, on: bool| {
        picked.update(|list| {
            if on {
                if !list.iter().any(|x| x.id == p.id) {
                    list.push(p);
                }
            } else {
                list.retain(|x| x.id != p.id);
            }
        });
    };
    view! {
        <div class="device-picker" data-testid="device-picker">
            <div class="picked" aria-live="polite">
                {move || {
                    let list = picked.get();
                    if list.is_empty() {
                        view! { <p class="muted small">"No device chosen yet."</p> }.into_any()
                    } else {
                        view! {
                            <p class="small">{format!("{} chosen:", list.len())}</p>
                            <ul class="chips picked-list">
                                {list
                                    .into_iter()
                                    .map(|p| {
                                        let label = format!("Remove {}", p.hostname);
                                        let pp = p.clone();
                                        view! {
                                            <li class="chip" data-device-id=p.id.clone()>
                                                {p.hostname.clone()}
                                                <button type="button" class="chip-remove" aria-label=label on:click=move |_| toggle(pp.clone(), false)>
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
            <div class="field">
                <label for="device-picker-search">"Find devices"</label>
                <input
                    id="device-picker-search"
                    type="search"
                    autocomplete="off"
                    placeholder="hostname, address, model…"
                    prop:value=move || text.get()
                    on:input=on_input
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        // Enter searches instead of submitting the whole form.
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            q.set(text.get_untracked().trim().to_owned());
                        }
                    }
                />
            </div>
            <Transition fallback=|| view! { <p class="muted small">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted small">"No device matches."</p> }.into_any(),
                        Ok(page) => {
                            let more = page.total - i64::try_from(page.items.len()).unwrap_or(0);
                            view! {
                                <ul class="picker-results" id="device-picker-results">
                                    {page
                                        .items
                                        .into_iter()
                                        .map(|d| {
                                            let id = format!("pick-{}", d.id);
                                            let p = Picked { id: d.id.clone(), hostname: d.hostname.clone() };
                                            let checked = {
                                                let did = d.id.clone();
                                                move || picked.with(|l| l.iter().any(|x| x.id == did))
                                            };
                                            view! {
                                                <li data-hostname=d.hostname.clone()>
                                                    <input
                                                        type="checkbox"
                                                        id=id.clone()
                                                        prop:checked=checked
                                                        on:change=move |ev| toggle(p.clone(), event_target_checked(&ev))
                                                    />
                                                    <label for=id>
                                                        <strong>{d.hostname.clone()}</strong>
                                                        " "
                                                        <span class="muted small mono">{d.address.clone()}</span>
                                                        " "
                                                        <span class="muted small">{platform_label(&d.platform)}</span>
                                                    </label>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                                {(more > 0).then(|| view! { <p class="muted small">{format!("{more} more: refine the search.")}</p> })}
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
