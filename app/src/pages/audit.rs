//! `/audit`: the event log, newest first, filterable, exportable.

use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::api::audit_trail;
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::changes::{change_count, ChangeTable};
use crate::components::live::use_live;
use crate::components::pagination::Pagination;
use crate::components::query::{href_with, parse_page};
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::user::IfCan;
use crate::model::{AuditEntry, AuditQuery, Page};

const PATH: &str = "/audit";
const KEYS: &[&str] = &["actor", "device", "event_type", "from", "to", "page"];
const PER_PAGE: u32 = 50;

pub const EVENT_TYPES: [&str; 11] = [
    "DeviceRegistered",
    "DeviceUpdated",
    "DeviceDecommissioned",
    "DeviceRestored",
    "UserCreated",
    "UserRoleChanged",
    "UserPasswordChanged",
    "UserSignedIn",
    "UserSignedOut",
    "UserDisabled",
    "UserEnabled",
];

fn query_from(map: &ParamsMap) -> AuditQuery {
    let get = |k: &str| map.get(k).unwrap_or_default().trim().to_owned();
    AuditQuery {
        actor: get("actor"),
        device: get("device"),
        event_type: get("event_type"),
        from: get("from"),
        to: get("to"),
        page: parse_page(&get("page")),
        per_page: PER_PAGE,
    }
}

fn export_href(q: &AuditQuery, format: &str) -> String {
    href_with(
        "/api/v1/audit/export",
        &[
            ("format", format.to_owned()),
            ("actor", q.actor.clone()),
            ("device", q.device.clone()),
            ("event_type", q.event_type.clone()),
            ("from", q.from.clone()),
            ("to", q.to.clone()),
        ],
    )
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let aq = Memo::new(move |_| query.with(query_from));
    let entries = Resource::new(move || (live.get(), aq.get()), |(_, q)| audit_trail(q));

    view! {
        <PageTitle text="Audit trail"/>
        <section class="page" data-testid="audit-page">
            <Breadcrumbs items=crumbs(&[("Audit trail", None)])/>
            <div class="page-head">
                <h1>"Audit trail"</h1>
                <IfCan perm=Permission::ReadAudit>
                    <div class="actions">
                        <a href=move || export_href(&aq.get(), "csv") class="btn" rel="external" download id="export-csv">
                            "Export CSV"
                        </a>
                        <a href=move || export_href(&aq.get(), "json") class="btn" rel="external" download id="export-json">
                            "Export JSON"
                        </a>
                    </div>
                </IfCan>
            </div>
            <IfCan perm=Permission::ReadAudit>
                <AuditFilters aq/>
            </IfCan>
            <Transition fallback=|| view! { <Loading label="Loading events…"/> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(page) => view! { <AuditTable page/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditFilters(aq: Memo<AuditQuery>) -> impl IntoView {
    // Rendered from the URL each time it changes, so back/forward restores the inputs.
    move || {
        let q = aq.get();
        let known = EVENT_TYPES.contains(&q.event_type.as_str()) || q.event_type.is_empty();
        let custom = (!known).then(|| q.event_type.clone());
        let filtered = !(q.actor.is_empty()
            && q.device.is_empty()
            && q.event_type.is_empty()
            && q.from.is_empty()
            && q.to.is_empty());
        view! {
            <Form method="get" action=PATH attr:class="filters" attr:id="audit-filters" attr:role="search">
                <div class="filter">
                    <label for="audit-actor">"Actor"</label>
                    <input id="audit-actor" name="actor" type="text" value=q.actor.clone() placeholder="username" autocomplete="off"/>
                </div>
                <div class="filter">
                    <label for="audit-device">"Device"</label>
                    <input id="audit-device" name="device" type="text" value=q.device.clone() placeholder="id or hostname" autocomplete="off"/>
                </div>
                <div class="filter">
                    <label for="audit-event-type">"Event type"</label>
                    <select id="audit-event-type" name="event_type">
                        <option value="" selected=q.event_type.is_empty()>"Any"</option>
                        {EVENT_TYPES
                            .into_iter()
                            .map(|t| {
                                let selected = q.event_type == t;
                                view! { <option value=t selected=selected>{t}</option> }
                            })
                            .collect_view()}
                        {custom.map(|t| view! { <option value=t.clone() selected=true>{t.clone()}</option> })}
                    </select>
                </div>
                <div class="filter">
                    <label for="audit-from">"From (UTC)"</label>
                    <input id="audit-from" name="from" type="datetime-local" value=q.from.clone()/>
                </div>
                <div class="filter">
                    <label for="audit-to">"To (UTC)"</label>
                    <input id="audit-to" name="to" type="datetime-local" value=q.to.clone()/>
                </div>
                <div class="filter filter-end">
                    <button type="submit" class="btn btn-primary" id="audit-apply">"Apply"</button>
                    {filtered.then(|| view! { <a href=PATH class="btn btn-ghost" id="audit-reset">"Reset"</a> })}
                </div>
            </Form>
        }
    }
}

#[component]
fn AuditTable(page: Page<AuditEntry>) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <EmptyState title="No events match" text="Widen the time range or clear the filters."/> }
            .into_any();
    }
    let shown = page.items.len();
    view! {
        <div class="table-wrap">
            <table id="audit-table" class="table table-compact" data-total=page.total>
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"From IP"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"Summary"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|e| view! { <AuditTr e/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pagination path=PATH keys=KEYS page=page.page.max(1) per_page=page.per_page.max(1) total=page.total shown/>
    }
    .into_any()
}

#[component]
fn AuditTr(e: AuditEntry) -> impl IntoView {
    let n = change_count(&e.changes);
    let subject = if e.aggregate_type == "device" {
        view! { <a href=format!("/devices/{}", e.aggregate_id)>{e.subject.clone()}</a> }.into_any()
    } else {
        view! { <span>{e.subject.clone()}</span> }.into_any()
    };
    let actor_href = href_with(PATH, &[("actor", e.actor.clone())]);
    view! {
        <tr data-event-type=e.event_type.clone() data-position=e.position>
            <td class="nowrap mono small">
                <Time at=e.recorded_at/>
            </td>
            <td class="actor">
                <a href=actor_href title="Only this actor">{e.actor.clone()}</a>
            </td>
            <td>
                <span class="badge source">{e.source.clone()}</span>
            </td>
            <td class="mono small">{e.request_ip.clone().unwrap_or_default()}</td>
            <td class="event-type">{e.event_type.clone()}</td>
            <td class="subject">{subject}</td>
            <td class="summary">
                {e.summary.clone()}
                {(n > 0)
                    .then(|| {
                        view! {
                            <details class="changes-details">
                                <summary>{format!("{n} field{} changed", if n == 1 { "" } else { "s" })}</summary>
                                <ChangeTable changes=e.changes.clone()/>
                            </details>
                        }
                    })}
            </td>
        </tr>
    }
}
