//! `/devices/{id}`: a device's attributes, its actions and its own event history.

use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

use crate::api::{get_device, request_operation, set_device_status};
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::{platform_label, StatusBadge, TagChips};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::changes::{change_count, ChangeTable};
use crate::components::dialog::ReasonDialog;
use crate::components::live::use_live;
use crate::components::query::href_with;
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::IfCan;
use crate::error::AppError;
use crate::model::{AuditEntry, DeviceDetail, DeviceRow};

/// Starts an operation of a kind on one device; the result is the operation's id.
type OpAction = Action<(&'static str, String), Result<String, AppError>>;

#[component]
pub fn DevicePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let live = use_live();
    let toasts = use_toasts();
    let detail = Resource::new(move || (live.get(), id.get()), |(_, id)| get_device(id));

    // Dialog state lives outside the data view so a live refresh does not close an open dialog.
    let decommission_open = RwSignal::new(false);
    let restore_open = RwSignal::new(false);
    let status_action = Action::new(move |(decommission, reason): &(bool, String)| {
        let (decommission, reason, id) = (*decommission, reason.clone(), id.get_untracked());
        async move {
            let result = set_device_status(id, decommission, reason).await;
            match &result {
                Ok(row) => {
                    let verb = if decommission { "decommissioned" } else { "restored" };
                    toasts.success(format!("{} {verb}", row.hostname));
                    decommission_open.set(false);
                    restore_open.set(false);
                    live.update(|n| *n += 1);
                }
                Err(e) => toasts.error(e.to_string()),
            }
            result.map(|_| ())
        }
    });
    let pending = status_action.pending();
    // Page level: the data view re-renders on live updates, which must not drop the navigation.
    let navigate = use_navigate();
    let run_op: OpAction = Action::new(move |(kind, id): &(&'static str, String)| {
        let request = domain::operation::OperationRequest {
            kind: (*kind).to_owned(),
            device_ids: vec![id.clone()],
            ..domain::operation::OperationRequest::default()
        };
        async move { request_operation(request).await }
    });
    Effect::new(move |_| match run_op.value().get() {
        Some(Ok(op)) => navigate(&format!("/operations/{op}"), NavigateOptions::default()),
        Some(Err(e)) => toasts.error(e.to_string()),
        None => {}
    });

    // The title lives at page level: one created inside the data view could be read after a live
    // refresh disposed that view (a panic in the browser).
    let title = RwSignal::new("Device".to_owned());

    view! {
        <PageTitle text=title/>
        <section class="page" data-testid="device-page">
            <Transition fallback=|| view! { <Loading label="Loading device…"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            title.set(d.device.hostname.clone());
                            view! { <DeviceView d decommission_open restore_open run_op/> }.into_any()
                        }
                        Err(e) => {
                            title.set("Device".to_owned());
                            view! {
                                <Breadcrumbs items=crumbs(&[("Inventory", Some("/devices")), ("Device", None)])/>
                                <h1>"Device"</h1>
                                <ErrorBox error=e/>
                                <p>
                                    <a href="/devices">"Back to the inventory"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <ReasonDialog
                open=decommission_open
                title="Decommission device"
                message="The device leaves the active inventory. Its history is kept and it can be restored later."
                confirm_label="Decommission"
                danger=true
                pending=pending
                on_confirm=Callback::new(move |reason: String| {
                    status_action.dispatch((true, reason));
                })
            />
            <ReasonDialog
                open=restore_open
                title="Restore device"
                message="The device returns to the active inventory."
                confirm_label="Restore"
                pending=pending
                on_confirm=Callback::new(move |reason: String| {
                    status_action.dispatch((false, reason));
                })
            />
        </section>
    }
}

#[component]
fn DeviceView(
    d: DeviceDetail,
    decommission_open: RwSignal<bool>,
    restore_open: RwSignal<bool>,
    run_op: OpAction,
) -> impl IntoView {
    let DeviceDetail { device, mut history } = d;
    history.sort_by(|a, b| b.sequence.cmp(&a.sequence).then(b.position.cmp(&a.position)));
    let decommissioned = device.status == "decommissioned";
    let id = device.id.clone();
    let hostname = device.hostname.clone();
    let audit_href = href_with("/audit", &[("device", id.clone())]);
    view! {
        <Breadcrumbs items=vec![("Inventory".to_owned(), Some("/devices".to_owned())), (hostname.clone(), None)]/>
        <div class="page-head">
            <h1>
                <span id="device-hostname">{hostname.clone()}</span>
                " "
                <StatusBadge status=device.status.clone()/>
            </h1>
            <div class="actions">
                <a href=format!("/devices/{id}/config") class="btn" id="device-config-link">
                    "Configuration"
                </a>
                {(!decommissioned)
                    .then(|| {
                        let id = id.clone();
                        view! {
                            <IfCan perm=Permission::RunOperations>
                                <DeviceOperations id=id.clone() run=run_op/>
                            </IfCan>
                        }
                    })}
                <IfCan perm=Permission::ManageDevices>
                    {
                        let edit = format!("/devices/{id}/edit");
                        if decommissioned {
                            view! {
                                <button type="button" class="btn" id="restore-device" on:click=move |_| restore_open.set(true)>
                                    "Restore"
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <a href=edit class="btn btn-primary" id="edit-device">
                                    "Edit"
                                </a>
                                <button
                                    type="button"
                                    class="btn btn-danger"
                                    id="decommission-device"
                                    on:click=move |_| decommission_open.set(true)
                                >
                                    "Decommission"
                                </button>
                            }
                                .into_any()
                        }
                    }
                </IfCan>
            </div>
        </div>
        {decommissioned
            .then(|| {
                view! {
                    <div class="alert alert-warn" role="status">
                        "This device is decommissioned. It is kept for the record and can be restored."
                    </div>
                }
            })}
        <div class="grid-2">
            <DeviceFacts device/>
            <section class="panel">
                <div class="panel-head">
                    <h2>"History"</h2>
                    <IfCan perm=Permission::ReadAudit>
                        <a href=audit_href.clone() class="btn btn-small btn-ghost">
                            "Open in audit trail"
                        </a>
                    </IfCan>
                </div>
                <History entries=history/>
            </section>
        </div>
    }
}

#[component]
fn DeviceFacts(device: DeviceRow) -> impl IntoView {
    let d = device;
    let group = d.group.clone().map(|g| {
        let href = href_with("/devices", &[("group", g.clone())]);
        view! { <a href=href class="group-path">{g}</a> }.into_any()
    });
    let location = match (d.latitude, d.longitude) {
        (Some(lat), Some(lon)) => {
            let href = format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}");
            Some(
                view! {
                    <span class="mono">{format!("{lat:.5}, {lon:.5}")}</span>
                    " "
                    <a href=href rel="external noopener noreferrer" target="_blank">
                        "map ↗"
                    </a>
                }
                .into_any(),
            )
        }
        _ => None,
    };
    let site = (!d.site.is_empty()).then(|| {
        let href = href_with("/devices", &[("site", d.site.clone())]);
        view! { <a href=href>{d.site.clone()}</a> }
    });
    let dash = || view! { <span class="muted">"—"</span> };
    view! {
        <section class="panel">
            <h2>"Details"</h2>
            <dl class="facts" id="device-facts">
                <dt>"Hostname"</dt>
                <dd data-field="hostname">{d.hostname.clone()}</dd>
                <dt>"Management address"</dt>
                <dd class="mono" data-field="address">{format!("{}:{}", d.address, d.port)}</dd>
                <dt>"Platform"</dt>
                <dd data-field="platform">{platform_label(&d.platform)}</dd>
                <dt>"Vendor / model"</dt>
                <dd data-field="model">
                    {d.vendor.clone()}
                    {(!d.model.is_empty()).then(|| format!(" {}", d.model))}
                </dd>
                <dt>"Site"</dt>
                <dd data-field="site">{site.map_or_else(|| dash().into_any(), IntoAny::into_any)}</dd>
                <dt>"Group"</dt>
                <dd data-field="group">{group.unwrap_or_else(|| dash().into_any())}</dd>
                <dt>"Tags"</dt>
                <dd data-field="tags">
                    {if d.tags.is_empty() { dash().into_any() } else { view! { <TagChips tags=d.tags.clone()/> }.into_any() }}
                </dd>
                <dt>"Location"</dt>
                <dd data-field="location">{location.unwrap_or_else(|| dash().into_any())}</dd>
                <dt>"Credential"</dt>
                <dd data-field="credential_ref" class="mono">
                    {d.credential_ref.clone().map_or_else(|| dash().into_any(), |c| c.into_any())}
                </dd>
                <dt>"Status"</dt>
                <dd data-field="status">
                    <StatusBadge status=d.status.clone()/>
                </dd>
                <dt>"Version"</dt>
                <dd data-field="version" class="mono">{d.version}</dd>
                <dt>"Registered"</dt>
                <dd>
                    <Time at=d.registered_at/>
                </dd>
                <dt>"Updated"</dt>
                <dd>
                    <Time at=d.updated_at/>
                </dd>
                <dt>"Id"</dt>
                <dd class="mono small">{d.id.clone()}</dd>
            </dl>
            {(!d.notes.is_empty())
                .then(|| {
                    view! {
                        <h3>"Notes"</h3>
                        <p class="notes" data-field="notes">{d.notes.clone()}</p>
                    }
                })}
        </section>
    }
}

#[component]
fn History(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <EmptyState title="No events recorded"/> }.into_any();
    }
    view! {
        <table class="table table-compact" id="device-history">
            <thead>
                <tr>
                    <th scope="col">"Time (UTC)"</th>
                    <th scope="col">"Actor"</th>
                    <th scope="col">"Source"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"Summary"</th>
                </tr>
            </thead>
            <tbody>
                {entries
                    .into_iter()
                    .map(|e| {
                        let n = change_count(&e.changes);
                        view! {
                            <tr data-event-type=e.event_type.clone()>
                                <td class="nowrap">
                                    <Time at=e.recorded_at/>
                                </td>
                                <td class="actor">{e.actor.clone()}</td>
                                <td>
                                    <span class="badge source">{e.source.clone()}</span>
                                </td>
                                <td class="event-type">{e.event_type.clone()}</td>
                                <td>
                                    {e.summary.clone()}
                                    {(n > 0)
                                        .then(|| {
                                            view! {
                                                <details class="changes-details">
                                                    <summary>
                                                        {format!("{n} field{} changed", if n == 1 { "" } else { "s" })}
                                                    </summary>
                                                    <ChangeTable changes=e.changes.clone()/>
                                                </details>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Quick operations on this one device; each opens the operation's progress page.
#[component]
fn DeviceOperations(id: String, run: OpAction) -> impl IntoView {
    let pending = run.pending();
    let history_href = format!("/operations?device={id}");
    let button = move |kind: &'static str, dom_id: &'static str, label: &'static str| {
        let id = id.clone();
        view! {
            <button type="button" class="btn" id=dom_id disabled=move || pending.get() on:click=move |_| {
                run.dispatch((kind, id.clone()));
            }>
                {label}
            </button>
        }
    };
    view! {
        {button("backup", "device-backup", "Back up")}
        {button("health", "device-health", "Health check")}
        {button("connectivity", "device-connectivity", "Connectivity test")}
        <a href=history_href class="btn btn-ghost" id="device-operations">
            "Operations"
        </a>
    }
}
