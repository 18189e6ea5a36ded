//! `/devices/{id}/config`: a device's configuration versions, one version's text (masked unless
//! revealed), the diff between any two versions, and the restore and push flows.

use domain::identity::Permission;
use domain::operation::OperationRequest;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use serde::{Deserialize, Serialize};

use crate::api::{config_diff, config_text, device_configs, preview_push, request_operation};
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::platform_label;
use crate::components::breadcrumbs::Breadcrumbs;
use crate::components::dialog::ReasonDialog;
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::IfCan;
use crate::error::AppError;
use crate::model::{ConfigDiffView, ConfigSummary, ConfigText, ConfigVersionRow, PushPreview};
use crate::pages::ops_common::{field_error, kind_label, shown_above, text_lines, ConfirmDialog, IfCanElse};

/// Everything the page shows, loaded together so the panels always agree on the latest version.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ConfigPageData {
    summary: ConfigSummary,
    /// The version whose text is shown (the latest unless one was picked).
    shown: Option<i64>,
    text: Option<Result<ConfigText, AppError>>,
    /// `(from, to)` of the diff shown.
    pair: Option<(i64, i64)>,
    diff: Option<Result<ConfigDiffView, AppError>>,
}

/// What the viewer and diff panels are asked to show; `None` means "the default".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selection {
    id: String,
    version: Option<i64>,
    which: String,
    reveal: bool,
    from: Option<i64>,
    to: Option<i64>,
}

async fn load(s: Selection) -> Result<ConfigPageData, AppError> {
    let summary = device_configs(s.id.clone()).await?;
    let mut versions: Vec<i64> = summary.versions.iter().map(|v| v.version).collect();
    versions.sort_unstable();
    let Some(&latest) = versions.last() else {
        return Ok(ConfigPageData { summary, shown: None, text: None, pair: None, diff: None });
    };
    let exists = |v: i64| versions.binary_search(&v).is_ok();
    let shown = s.version.filter(|v| exists(*v)).unwrap_or(latest);
    let text = Some(config_text(s.id.clone(), shown, s.which.clone(), s.reveal).await);
    let to = s.to.filter(|v| exists(*v)).unwrap_or(latest);
    // Default "from": the version before "to" (latest-1 → latest on first view).
    let from = s.from.filter(|v| exists(*v)).or_else(|| versions.iter().rev().copied().find(|v| *v < to));
    let pair = from.map(|f| (f, to));
    let diff = match pair {
        Some((f, t)) => Some(config_diff(s.id.clone(), f, t, s.reveal).await),
        None => None,
    };
    Ok(ConfigPageData { summary, shown: Some(shown), text, pair, diff })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiffMode {
    Unified,
    Split,
}

/// Page state that must survive live refreshes (which re-render the data view).
#[derive(Debug, Clone, Copy)]
struct Ui {
    version: RwSignal<Option<i64>>,
    which: RwSignal<String>,
    reveal: RwSignal<bool>,
    from: RwSignal<Option<i64>>,
    to: RwSignal<Option<i64>>,
    diff_mode: RwSignal<DiffMode>,
    /// Version whose restore is being previewed.
    restore_version: RwSignal<Option<i64>>,
    restore_preview_open: RwSignal<bool>,
    restore_reason_open: RwSignal<bool>,
    push_lines: RwSignal<String>,
    push_reason: RwSignal<String>,
    push_error: RwSignal<Option<AppError>>,
    push_confirm_open: RwSignal<bool>,
    candidate: RwSignal<Option<String>>,
    /// The version the candidate editor started from.
    candidate_base: RwSignal<Option<i64>>,
    candidate_preview_open: RwSignal<bool>,
    candidate_reason_open: RwSignal<bool>,
}

#[component]
pub fn DeviceConfigPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let live = use_live();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let ui = Ui {
        version: RwSignal::new(None),
        which: RwSignal::new("running".to_owned()),
        reveal: RwSignal::new(false),
        from: RwSignal::new(None),
        to: RwSignal::new(None),
        diff_mode: RwSignal::new(DiffMode::Unified),
        restore_version: RwSignal::new(None),
        restore_preview_open: RwSignal::new(false),
        restore_reason_open: RwSignal::new(false),
        push_lines: RwSignal::new(String::new()),
        push_reason: RwSignal::new(String::new()),
        push_error: RwSignal::new(None),
        push_confirm_open: RwSignal::new(false),
        candidate: RwSignal::new(None),
        candidate_base: RwSignal::new(None),
        candidate_preview_open: RwSignal::new(false),
        candidate_reason_open: RwSignal::new(false),
    };
    let data = Resource::new(
        move || {
            (
                live.get(),
                Selection {
                    id: id.get(),
                    version: ui.version.get(),
                    which: ui.which.get(),
                    reveal: ui.reveal.get(),
                    from: ui.from.get(),
                    to: ui.to.get(),
                },
            )
        },
        |(_, s)| load(s),
    );

    // Every operation this page starts leads to its progress page.
    let launch = Action::new(move |req: &OperationRequest| {
        let req = req.clone();
        async move { request_operation(req).await }
    });
    let launching: Signal<bool> = launch.pending().into();
    Effect::new(move |_| {
        let Some(result) = launch.value().get() else {
            return;
        };
        match result {
            Ok(op_id) => {
                for open in [
                    ui.restore_preview_open,
                    ui.restore_reason_open,
                    ui.push_confirm_open,
                    ui.candidate_preview_open,
                    ui.candidate_reason_open,
                ] {
                    open.set(false);
                }
                toasts.success("Operation started");
                live.update(|n| *n += 1);
                navigate(&format!("/operations/{op_id}"), NavigateOptions::default());
            }
            Err(e) => {
                toasts.error(e.to_string());
                ui.push_confirm_open.set(false);
                ui.push_error.set(Some(e));
            }
        }
    });
    let request = move |kind: &str, f: &dyn Fn(&mut OperationRequest)| {
        let mut req = OperationRequest {
            kind: kind.to_owned(),
            device_ids: vec![id.get_untracked()],
            ..OperationRequest::default()
        };
        f(&mut req);
        launch.dispatch(req);
    };
    let backup_now = Callback::new(move |()| request("backup", &|_| {}));

    // Restore: preview (diff + commands) → reason → request.
    let restore_preview = Action::new(move |v: &i64| {
        let (v, id) = (*v, id.get_untracked());
        async move { preview_push(id, None, Some(v)).await }
    });
    let on_restore = Callback::new(move |v: i64| {
        ui.restore_version.set(Some(v));
        ui.restore_preview_open.set(true);
        restore_preview.dispatch(v);
    });
    // Full candidate: preview → reason → request.
    let candidate_preview = Action::new(move |c: &String| {
        let (c, id) = (c.clone(), id.get_untracked());
        async move { preview_push(id, Some(c), None).await }
    });

    // "Continue" waits for a successful preview: nobody confirms changes they have not seen.
    let restore_not_ready = not_ready(restore_preview.pending(), restore_preview.value());
    let candidate_not_ready = not_ready(candidate_preview.pending(), candidate_preview.value());

    // The title lives at page level: a title created inside the data view could be read after a
    // live refresh disposed that view (a panic in the browser).
    let title = RwSignal::new("Configuration".to_owned());

    view! {
        <PageTitle text=title/>
        <section class="page" data-testid="device-config-page">
            <Transition fallback=|| view! { <Loading label="Loading configurations…"/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => {
                            title.set(format!("{} · Configuration", d.summary.hostname));
                            view! { <ConfigView d ui launching backup_now on_restore/> }.into_any()
                        }
                        Err(e) => {
                            let id = id.get_untracked();
                            title.set("Configuration".to_owned());
                            view! {
                                <Breadcrumbs items=vec![
                                    ("Inventory".to_owned(), Some("/devices".to_owned())),
                                    ("Device".to_owned(), Some(format!("/devices/{id}"))),
                                    ("Configuration".to_owned(), None),
                                ]/>
                                <h1>"Configuration"</h1>
                                <ErrorBox error=e/>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <IfCan perm=Permission::ChangeConfig>
                <PushPanel ui candidate_preview/>
            </IfCan>

            <ConfirmDialog
                open=ui.restore_preview_open
                title=Signal::derive(move || format!("Restore version {}?", ui.restore_version.get().unwrap_or_default()))
                confirm_label="Continue"
                confirm_id="restore-continue"
                pending=restore_not_ready
                on_confirm=Callback::new(move |()| {
                    ui.restore_preview_open.set(false);
                    ui.restore_reason_open.set(true);
                })
            >
                <p>"These are the changes that bring the running configuration back to the chosen version."</p>
                {preview_body(restore_preview.pending().into(), restore_preview.value().into())}
            </ConfirmDialog>
            <ReasonDialog
                open=ui.restore_reason_open
                title="Restore configuration"
                message="The device's running configuration is brought back to the chosen version, with pre- and post-checks and automatic rollback."
                confirm_label="Restore"
                danger=true
                pending=launching
                on_confirm=Callback::new(move |reason: String| {
                    let v = ui.restore_version.get_untracked();
                    request("restore", &|r| {
                        r.restore_version = v;
                        r.reason.clone_from(&reason);
                    });
                })
            />

            <ConfirmDialog
                open=ui.push_confirm_open
                title="Push these configuration lines?"
                confirm_label="Push configuration"
                confirm_id="push-confirm"
                danger=true
                pending=launching
                on_confirm=Callback::new(move |()| {
                    let lines = text_lines(&ui.push_lines.get_untracked());
                    let reason = ui.push_reason.get_untracked().trim().to_owned();
                    request("push", &|r| {
                        r.config_lines.clone_from(&lines);
                        r.reason.clone_from(&reason);
                    });
                })
            >
                <p>"Sent in configuration mode, checked before and after, saved when the post-checks pass."</p>
                <dl class="facts">
                    <dt>"Reason"</dt>
                    <dd>{move || ui.push_reason.get()}</dd>
                </dl>
                <pre class="code" data-testid="push-confirm-lines">{move || text_lines(&ui.push_lines.get()).join("\n")}</pre>
            </ConfirmDialog>

            <ConfirmDialog
                open=ui.candidate_preview_open
                title="Push the edited configuration?"
                confirm_label="Continue"
                confirm_id="candidate-continue"
                pending=candidate_not_ready
                on_confirm=Callback::new(move |()| {
                    ui.candidate_preview_open.set(false);
                    ui.candidate_reason_open.set(true);
                })
            >
                {preview_body(candidate_preview.pending().into(), candidate_preview.value().into())}
            </ConfirmDialog>
            <ReasonDialog
                open=ui.candidate_reason_open
                title="Push configuration"
                message="The commands above are sent with pre- and post-checks and automatic rollback."
                confirm_label="Push"
                danger=true
                pending=launching
                on_confirm=Callback::new(move |reason: String| {
                    let candidate = ui.candidate.get_untracked();
                    request("push", &|r| {
                        r.candidate.clone_from(&candidate);
                        r.reason.clone_from(&reason);
                    });
                })
            />
        </section>
    }
}

/// True until a preview has succeeded.
fn not_ready(pending: Memo<bool>, value: MappedSignal<Option<Result<PushPreview, AppError>>>) -> Signal<bool> {
    Signal::derive(move || pending.get() || !matches!(value.get(), Some(Ok(_))))
}

/// The result of a push preview: the diff and the commands that will be sent.
fn preview_body(pending: Signal<bool>, value: Signal<Option<Result<PushPreview, AppError>>>) -> impl IntoView {
    move || {
        if pending.get() {
            return view! { <Loading label="Computing the changes…"/> }.into_any();
        }
        match value.get() {
            None => ().into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
            Some(Ok(p)) if p.commands.is_empty() => {
                view! { <p class="alert alert-warn" data-testid="preview-empty">"No difference: nothing would be sent."</p> }
                    .into_any()
            }
            Some(Ok(p)) => view! {
                <div class="preview-body" data-testid="push-preview">
                    <h3 class="small">{format!("Changes (+{} −{})", p.diff.added, p.diff.removed)}</h3>
                    <UnifiedDiff text=p.diff.unified.clone()/>
                    <h3 class="small">"Commands to send"</h3>
                    <pre class="code" data-testid="preview-commands">{p.commands.join("\n")}</pre>
                </div>
            }
            .into_any(),
        }
    }
}

#[component]
fn ConfigView(
    d: ConfigPageData,
    ui: Ui,
    launching: Signal<bool>,
    backup_now: Callback<()>,
    on_restore: Callback<i64>,
) -> impl IntoView {
    let ConfigPageData { summary, shown, text, pair, diff } = d;
    let mut versions = summary.versions.clone();
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    let latest = versions.first().map(|v| v.version);
    let device_href = format!("/devices/{}", summary.device_id);
    let ops_href = format!("/operations?device={}", summary.device_id);
    let hostname = summary.hostname.clone();
    let backup_button = move |id: &'static str| {
        view! {
            <button type="button" class="btn btn-primary" id=id disabled=move || launching.get() on:click=move |_| backup_now.run(())>
                {move || if launching.get() { "Starting…" } else { "Back up now" }}
            </button>
        }
    };
    view! {
        <Breadcrumbs items=vec![
            ("Inventory".to_owned(), Some("/devices".to_owned())),
            (hostname.clone(), Some(device_href.clone())),
            ("Configuration".to_owned(), None),
        ]/>
        <div class="page-head">
            <h1>
                <a href=device_href.clone() id="config-hostname">{hostname.clone()}</a>
                " · Configuration "
                {summary.drift.then(|| view! { <span class="badge status status-warn" title="Running and startup configurations differ" id="drift-badge">"drift"</span> })}
            </h1>
            <div class="actions">
                <a href=ops_href class="btn btn-ghost">"Operations on this device"</a>
                <IfCan perm=Permission::RunOperations>{move || backup_button("backup-now")}</IfCan>
            </div>
        </div>
        <p class="muted small" id="config-summary">
            {platform_label(&summary.platform)}
            {format!(" · {} backup{}", summary.backups, if summary.backups == 1 { "" } else { "s" })}
            {summary.last_backup_at.map(|t| view! { " · last " <Time at=t/> })}
        </p>
        {if versions.is_empty() {
            view! {
                <EmptyState title="No backup yet" text="Back up this device to record its running and startup configuration.">
                    <IfCan perm=Permission::RunOperations>{move || backup_button("backup-now-empty")}</IfCan>
                </EmptyState>
            }
                .into_any()
        } else {
            let list = versions.clone();
            view! {
                <div class="grid-2 grid-wide-right">
                    <section class="panel">
                        <h2>"Versions"</h2>
                        <Timeline versions=list ui shown latest on_restore/>
                    </section>
                    <section class="panel">
                        <ConfigViewer versions=versions.clone() shown text ui/>
                    </section>
                </div>
                <section class="panel">
                    <DiffPanel versions=versions.clone() pair diff ui/>
                </section>
            }
                .into_any()
        }}
    }
}

#[component]
fn Timeline(
    versions: Vec<ConfigVersionRow>,
    ui: Ui,
    shown: Option<i64>,
    latest: Option<i64>,
    on_restore: Callback<i64>,
) -> impl IntoView {
    view! {
        <ol class="timeline" id="config-versions">
            {versions
                .into_iter()
                .map(|v| {
                    let n = v.version;
                    let is_latest = Some(n) == latest;
                    view! {
                        <li class="timeline-item" class:current=Some(n) == shown data-version=n data-drift=v.drift.to_string()>
                            <div class="timeline-head">
                                <strong class="mono">{format!("v{n}")}</strong>
                                {is_latest.then(|| view! { <span class="badge">"latest"</span> })}
                                {v.drift.then(|| view! { <span class="badge status status-warn" title="Running and startup differed at this backup">"drift"</span> })}
                            </div>
                            <div class="small muted">
                                <Time at=v.recorded_at/>
                                " · "
                                {v.actor.clone()}
                                {v
                                    .operation_id
                                    .clone()
                                    .map(|op| view! { " · " <a href=format!("/operations/{op}")>"operation"</a> })}
                            </div>
                            <div class="timeline-actions">
                                <button
                                    type="button"
                                    class="btn btn-small"
                                    id=format!("view-v{n}")
                                    aria-pressed=move || if ui.version.get().or(latest) == Some(n) { "true" } else { "false" }
                                    on:click=move |_| ui.version.set(Some(n))
                                >
                                    "View"
                                </button>
                                {(!is_latest)
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="btn btn-small"
                                                id=format!("compare-v{n}")
                                                title="Compare with the latest version"
                                                on:click=move |_| {
                                                    ui.from.set(Some(n));
                                                    ui.to.set(latest);
                                                }
                                            >
                                                "Diff with latest"
                                            </button>
                                            <IfCan perm=Permission::ChangeConfig>
                                                <button
                                                    type="button"
                                                    class="btn btn-small btn-danger"
                                                    id=format!("restore-v{n}")
                                                    on:click=move |_| on_restore.run(n)
                                                >
                                                    "Restore this version"
                                                </button>
                                            </IfCan>
                                        }
                                    })}
                            </div>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
fn ConfigViewer(
    versions: Vec<ConfigVersionRow>,
    shown: Option<i64>,
    text: Option<Result<ConfigText, AppError>>,
    ui: Ui,
) -> impl IntoView {
    let has_startup =
        shown.and_then(|s| versions.iter().find(|v| v.version == s)).is_some_and(|v| v.startup_hash.is_some());
    let which_button = move |w: &'static str, label: &'static str| {
        view! {
            <button
                type="button"
                class="segment"
                id=format!("which-{w}")
                class:active=move || ui.which.get() == w
                aria-pressed=move || if ui.which.get() == w { "true" } else { "false" }
                on:click=move |_| ui.which.set(w.to_owned())
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="panel-head">
            <h2>{shown.map_or_else(|| "Configuration".to_owned(), |v| format!("Version {v}"))}</h2>
            <div class="segmented" role="group" aria-label="Which configuration">
                {which_button("running", "Running")}
                {has_startup.then(|| which_button("startup", "Startup"))}
            </div>
        </div>
        <div class="viewer-controls">
            <label for="view-version" class="small">"Version"</label>
            <select id="view-version" on:change=move |ev| ui.version.set(event_target_value(&ev).parse().ok())>
                {versions
                    .iter()
                    .map(|v| {
                        let n = v.version;
                        view! { <option value=n.to_string() selected=Some(n) == shown>{format!("v{n}")}</option> }
                    })
                    .collect_view()}
            </select>
            <IfCan perm=Permission::ViewSecrets>
                <label class="check small" for="reveal-secrets">
                    <input
                        type="checkbox"
                        id="reveal-secrets"
                        prop:checked=move || ui.reveal.get()
                        on:change=move |ev| ui.reveal.set(event_target_checked(&ev))
                    />
                    " Reveal secrets"
                </label>
            </IfCan>
        </div>
        {match text {
            None => ().into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
            Some(Ok(t)) => {
                let info = format!(" {} · {} lines", t.which, t.text.lines().count());
                let (version, which) = (t.version, t.which.clone());
                view! {
                <p class="small muted">
                    {if t.masked {
                        view! { <span class="badge" id="masked-badge">"secrets masked"</span> }.into_any()
                    } else {
                        view! { <span class="badge status status-warn" id="revealed-badge">"secrets visible"</span> }.into_any()
                    }}
                    {info}
                </p>
                <pre class="code config-text" id="config-text" data-version=version data-which=which>{t.text}</pre>
            }
            .into_any()
            }
        }}
    }
}

#[component]
fn DiffPanel(
    versions: Vec<ConfigVersionRow>,
    pair: Option<(i64, i64)>,
    diff: Option<Result<ConfigDiffView, AppError>>,
    ui: Ui,
) -> impl IntoView {
    if versions.len() < 2 {
        return view! {
            <h2>"Differences"</h2>
            <p class="muted" id="diff-none">"Only one version so far: back up again after a change to compare."</p>
        }
        .into_any();
    }
    let (from, to) = pair.unwrap_or_default();
    let select = move |id: &'static str, current: i64, set: RwSignal<Option<i64>>| {
        view! {
            <select id=id on:change=move |ev| set.set(event_target_value(&ev).parse().ok())>
                {versions
                    .iter()
                    .map(|v| {
                        let n = v.version;
                        view! { <option value=n.to_string() selected=n == current>{format!("v{n}")}</option> }
                    })
                    .collect_view()}
            </select>
        }
    };
    let mode_button = move |m: DiffMode, id: &'static str, label: &'static str| {
        view! {
            <button
                type="button"
                class="segment"
                id=id
                class:active=move || ui.diff_mode.get() == m
                aria-pressed=move || if ui.diff_mode.get() == m { "true" } else { "false" }
                on:click=move |_| ui.diff_mode.set(m)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="panel-head">
            <h2>"Differences"</h2>
            <div class="diff-controls">
                <label for="diff-from" class="small">"From"</label>
                {select("diff-from", from, ui.from)}
                <label for="diff-to" class="small">"to"</label>
                {select("diff-to", to, ui.to)}
                <div class="segmented" role="group" aria-label="Diff layout">
                    {mode_button(DiffMode::Unified, "diff-mode-unified", "Unified")}
                    {mode_button(DiffMode::Split, "diff-mode-split", "Side by side")}
                </div>
            </div>
        </div>
        {match diff {
            None => ().into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
            Some(Ok(d)) => {
                let unified = d.unified.clone();
                let rows = d.rows.clone();
                view! {
                    <p class="small" id="diff-stats" data-added=d.added data-removed=d.removed>
                        <span class="muted">{format!("{} → {}: ", d.from_label, d.to_label)}</span>
                        <span class="diff-add-count">{format!("+{}", d.added)}</span>
                        " "
                        <span class="diff-del-count">{format!("−{}", d.removed)}</span>
                        {d.masked.then(|| view! { " " <span class="badge">"secrets masked"</span> })}
                    </p>
                    {if d.added == 0 && d.removed == 0 {
                        view! { <p class="muted" id="diff-identical">"The two versions are identical."</p> }.into_any()
                    } else {
                        view! {
                            <div id="config-diff">
                                {move || match ui.diff_mode.get() {
                                    DiffMode::Unified => view! { <UnifiedDiff text=unified.clone()/> }.into_any(),
                                    DiffMode::Split => view! { <SplitDiff rows=rows.clone()/> }.into_any(),
                                }}
                            </div>
                        }
                            .into_any()
                    }}
                }
                    .into_any()
            }
        }}
    }
    .into_any()
}

/// A unified diff, one coloured line per span. Text only: configs may hold anything.
#[component]
fn UnifiedDiff(text: String) -> impl IntoView {
    view! {
        <pre class="code diff-unified" data-testid="diff-unified">
            {text
                .lines()
                .map(|l| {
                    let class = if l.starts_with("+++") || l.starts_with("---") {
                        "diff-file"
                    } else if l.starts_with("@@") {
                        "diff-hunk"
                    } else if l.starts_with('+') {
                        "diff-add"
                    } else if l.starts_with('-') {
                        "diff-del"
                    } else {
                        "diff-ctx"
                    };
                    view! { <span class=class>{format!("{l}\n")}</span> }
                })
                .collect_view()}
        </pre>
    }
}

#[component]
fn SplitDiff(rows: Vec<crate::model::DiffRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="diff-split" data-testid="diff-split">
                <thead>
                    <tr>
                        <th scope="col" class="ln">"#"</th>
                        <th scope="col">"From"</th>
                        <th scope="col" class="ln">"#"</th>
                        <th scope="col">"To"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let left_class = match r.kind.as_str() {
                                "delete" | "replace" => "diff-del",
                                _ => "diff-ctx",
                            };
                            let right_class = match r.kind.as_str() {
                                "insert" | "replace" => "diff-add",
                                _ => "diff-ctx",
                            };
                            view! {
                                <tr class=format!("diff-row diff-{}", r.kind) data-kind=r.kind.clone()>
                                    <td class="ln">{r.left_no.map(|n| n.to_string())}</td>
                                    <td class=left_class>{r.left.clone()}</td>
                                    <td class="ln">{r.right_no.map(|n| n.to_string())}</td>
                                    <td class=right_class>{r.right.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Changing the configuration: configuration lines for everyone who may change configs; the full
/// candidate editor only for those who may see secrets (the candidate must be the unmasked text).
/// It lives outside the page's data view so that live refreshes never disturb what is being typed.
#[component]
fn PushPanel(ui: Ui, candidate_preview: Action<String, Result<PushPreview, AppError>>) -> impl IntoView {
    let on_lines_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut e = domain::FieldErrors::default();
        if text_lines(&ui.push_lines.get_untracked()).is_empty() {
            e.push("config_lines", "enter the configuration lines to send");
        }
        if ui.push_reason.get_untracked().trim().is_empty() {
            e.push("reason", "say why this change is made (kept in the audit trail)");
        }
        if e.is_empty() {
            ui.push_error.set(None);
            ui.push_confirm_open.set(true);
        } else {
            let first = if e.get("config_lines").is_some() { "push-lines" } else { "push-reason" };
            crate::components::browser::focus(first);
            ui.push_error.set(Some(AppError::Invalid(e)));
        }
    };
    let toasts = use_toasts();
    let params = use_params_map();
    // The editor starts from the newest running configuration, unmasked.
    let load_candidate = Action::new(move |id: &String| {
        let id = id.clone();
        async move {
            let loaded = async {
                let summary = device_configs(id.clone()).await?;
                let Some(v) = summary.versions.iter().map(|v| v.version).max() else {
                    return Err(AppError::Rejected(
                        "back up the device first: the editor starts from its latest running configuration".into(),
                    ));
                };
                Ok((v, config_text(id, v, "running".into(), true).await?))
            }
            .await;
            match loaded {
                Ok((v, t)) if !t.masked => {
                    ui.candidate_base.set(Some(v));
                    ui.candidate.set(Some(t.text));
                }
                Ok(_) => {
                    toasts.error("The server sent masked text: pushing a full configuration needs the unmasked one")
                }
                Err(e) => toasts.error(e.to_string()),
            }
        }
    });
    let loading = load_candidate.pending();
    let has_candidate = Memo::new(move |_| ui.candidate.with(Option::is_some));
    view! {
        <section class="panel" id="push-panel">
            <h2>"Change configuration"</h2>
            <form class="form" id="push-lines-form" on:submit=on_lines_submit novalidate>
                {move || {
                    ui.push_error
                        .get()
                        .filter(|e| shown_above(e, &["config_lines", "reason"]))
                        .map(|e| view! { <ErrorBox error=e/> })
                }}
                <Field
                    label="Configuration lines"
                    id="push-lines"
                    required=true
                    error=field_error(ui.push_error, "config_lines")
                    hint="Configuration-mode syntax, one per line; indentation is kept. Checked before and after, rolled back if a post-check fails, saved otherwise."
                >
                    <textarea
                        id="push-lines"
                        name="config_lines"
                        rows="6"
                        class="mono"
                        spellcheck="false"
                        placeholder="interface GigabitEthernet0/1\n description uplink to core"
                        prop:value=move || ui.push_lines.get()
                        on:input=move |ev| {
                            ui.push_lines.set(event_target_value(&ev));
                            ui.push_error.set(None);
                        }
                    ></textarea>
                </Field>
                <Field label="Reason" id="push-reason" required=true error=field_error(ui.push_error, "reason")>
                    <input
                        id="push-reason"
                        name="reason"
                        type="text"
                        autocomplete="off"
                        placeholder="e.g. CHG-1234 new uplink"
                        prop:value=move || ui.push_reason.get()
                        on:input=move |ev| {
                            ui.push_reason.set(event_target_value(&ev));
                            ui.push_error.set(None);
                        }
                    />
                </Field>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="push-submit">
                        "Review and push"
                    </button>
                </div>
            </form>
            <details class="candidate-editor" id="candidate-editor">
                <summary>"Edit the full configuration"</summary>
                <IfCanElse
                    perm=Permission::ViewSecrets
                    otherwise=|| {
                        view! {
                            <p class="muted" id="candidate-needs-secrets">
                                "Pushing a full configuration needs its unmasked text, which your role may not see. Send configuration lines above instead."
                            </p>
                        }
                    }
                >
                    {move || {
                        if has_candidate.get() {
                            view! {
                                <div class="field">
                                    <label for="candidate-text">
                                        {move || {
                                            format!(
                                                "Candidate configuration (from v{}, unmasked)",
                                                ui.candidate_base.get().unwrap_or_default(),
                                            )
                                        }}
                                    </label>
                                    <textarea
                                        id="candidate-text"
                                        rows="20"
                                        class="mono"
                                        spellcheck="false"
                                        prop:value=move || ui.candidate.get().unwrap_or_default()
                                        on:input=move |ev| ui.candidate.set(Some(event_target_value(&ev)))
                                    ></textarea>
                                </div>
                                <div class="form-actions">
                                    <button
                                        type="button"
                                        class="btn btn-primary"
                                        id="candidate-preview"
                                        on:click=move |_| {
                                            if let Some(c) = ui.candidate.get_untracked() {
                                                ui.candidate_preview_open.set(true);
                                                candidate_preview.dispatch(c);
                                            }
                                        }
                                    >
                                        "Preview changes"
                                    </button>
                                    <button
                                        type="button"
                                        class="btn btn-ghost"
                                        id="candidate-discard"
                                        on:click=move |_| ui.candidate.set(None)
                                    >
                                        "Discard edits"
                                    </button>
                                </div>
                            }
                                .into_any()
                        } else {
                            view! {
                                <p class="small">
                                    "The editor starts from the latest backup's running configuration, unmasked: secrets will be visible on screen."
                                </p>
                                <button
                                    type="button"
                                    class="btn"
                                    id="candidate-load"
                                    disabled=move || loading.get()
                                    on:click=move |_| {
                                        load_candidate.dispatch(params.with_untracked(|p| p.get("id").unwrap_or_default()));
                                    }
                                >
                                    {move || if loading.get() { "Loading…" } else { "Load for editing" }}
                                </button>
                            }
                                .into_any()
                        }
                    }}
                </IfCanElse>
            </details>
            <p class="small muted">
                {format!("Pushes run as a {} operation on this device only.", kind_label("push").to_lowercase())}
            </p>
        </section>
    }
}
