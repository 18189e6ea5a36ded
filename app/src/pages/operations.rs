//! `/operations`: every operation run against devices, newest first, filterable, exportable.

use domain::identity::Permission;
use domain::operation::{OperationKind, OperationStatus};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::api::list_operations;
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::StatusBadge;
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::live::use_live;
use crate::components::pagination::Pagination;
use crate::components::query::{href_with, parse_page};
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::user::IfCan;
use crate::model::{OperationQuery, OperationRow, Page};
use crate::pages::ops_common::{kind_label, OpProgress};

const PATH: &str = "/operations";
const KEYS: &[&str] = &["kind", "status", "actor", "device", "from", "to", "page"];
const PER_PAGE: u32 = 50;
const STATUSES: [OperationStatus; 6] = [
    OperationStatus::Scheduled,
    OperationStatus::Queued,
    OperationStatus::Running,
    OperationStatus::Completed,
    OperationStatus::Failed,
    OperationStatus::Cancelled,
];

fn query_from(map: &ParamsMap) -> OperationQuery {
    let get = |k: &str| map.get(k).unwrap_or_default().trim().to_owned();
    OperationQuery {
        kind: get("kind"),
        status: get("status"),
        actor: get("actor"),
        device_id: get("device"),
        from: get("from"),
        to: get("to"),
        page: parse_page(&get("page")),
        per_page: PER_PAGE,
    }
}

fn export_href(q: &OperationQuery, format: &str) -> String {
    href_with(
        "/api/v1/operations/export",
        &[
            ("format", format.to_owned()),
            ("kind", q.kind.clone()),
            ("status", q.status.clone()),
            ("actor", q.actor.clone()),
            ("device_id", q.device_id.clone()),
            ("from", q.from.clone()),
            ("to", q.to.clone()),
        ],
    )
}

#[component]
pub fn OperationsPage() -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let oq = Memo::new(move |_| query.with(query_from));
    let ops = Resource::new(move || (live.get(), oq.get()), |(_, q)| list_operations(q));

    view! {
        <PageTitle text="Operations"/>
        <section class="page" data-testid="operations-page">
            <Breadcrumbs items=crumbs(&[("Operations", None)])/>
            <div class="page-head">
                <h1>"Operations"</h1>
                <div class="actions">
                    <a href=move || export_href(&oq.get(), "csv") class="btn" rel="external" download id="ops-export-csv">
                        "Export CSV"
                    </a>
                    <a href=move || export_href(&oq.get(), "json") class="btn" rel="external" download id="ops-export-json">
                        "Export JSON"
                    </a>
                    <IfCan perm=Permission::RunOperations>
                        <a href="/operations/new" class="btn btn-primary" id="new-operation">
                            "+ New operation"
                        </a>
                    </IfCan>
                </div>
            </div>
            <OperationFilters oq/>
            <Transition fallback=|| view! { <Loading label="Loading operations…"/> }>
                {move || Suspend::new(async move {
                    match ops.await {
                        Ok(page) => view! { <OperationsTable page filtered=is_filtered(&oq.get_untracked())/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn is_filtered(q: &OperationQuery) -> bool {
    !(q.kind.is_empty()
        && q.status.is_empty()
        && q.actor.is_empty()
        && q.device_id.is_empty()
        && q.from.is_empty()
        && q.to.is_empty())
}

#[component]
fn OperationFilters(oq: Memo<OperationQuery>) -> impl IntoView {
    // Rendered from the URL each time it changes, so back/forward restores the inputs.
    move || {
        let q = oq.get();
        let filtered = is_filtered(&q);
        view! {
            <Form method="get" action=PATH attr:class="filters" attr:id="ops-filters" attr:role="search">
                <div class="filter">
                    <label for="ops-kind">"Kind"</label>
                    <select id="ops-kind" name="kind">
                        <option value="" selected=q.kind.is_empty()>"Any"</option>
                        {OperationKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.as_str() selected=q.kind == k.as_str()>{k.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="filter">
                    <label for="ops-status">"Status"</label>
                    <select id="ops-status" name="status">
                        <option value="" selected=q.status.is_empty()>"Any"</option>
                        {STATUSES
                            .into_iter()
                            .map(|s| view! { <option value=s.as_str() selected=q.status == s.as_str()>{s.as_str()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="filter">
                    <label for="ops-actor">"Requested by"</label>
                    <input id="ops-actor" name="actor" type="text" value=q.actor.clone() placeholder="username" autocomplete="off"/>
                </div>
                {(!q.device_id.is_empty())
                    .then(|| view! { <input type="hidden" name="device" value=q.device_id.clone()/> })}
                <div class="filter">
                    <label for="ops-from">"From (UTC)"</label>
                    <input id="ops-from" name="from" type="datetime-local" value=q.from.clone()/>
                </div>
                <div class="filter">
                    <label for="ops-to">"To (UTC)"</label>
                    <input id="ops-to" name="to" type="datetime-local" value=q.to.clone()/>
                </div>
                <div class="filter filter-end">
                    <button type="submit" class="btn btn-primary" id="ops-apply">"Apply"</button>
                    {filtered.then(|| view! { <a href=PATH class="btn btn-ghost" id="ops-reset">"Reset"</a> })}
                </div>
            </Form>
        }
    }
}

#[component]
fn OperationsTable(page: Page<OperationRow>, filtered: bool) -> impl IntoView {
    if page.items.is_empty() {
        return if filtered {
            view! {
                <EmptyState title="No operations match" text="Widen the time range or clear the filters.">
                    <a href=PATH class="btn">"Clear filters"</a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No operations yet" text="Back up configurations, run health checks or push changes to devices.">
                    <IfCan perm=Permission::RunOperations>
                        <a href="/operations/new" class="btn btn-primary">"+ New operation"</a>
                    </IfCan>
                </EmptyState>
            }
            .into_any()
        };
    }
    let shown = page.items.len();
    view! {
        <div class="table-wrap">
            <table id="operations-table" class="table table-compact" data-total=page.total>
                <thead>
                    <tr>
                        <th scope="col">"Requested (UTC)"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Selection"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Requested by"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|op| view! { <OperationTr op/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pagination path=PATH keys=KEYS page=page.page.max(1) per_page=page.per_page.max(1) total=page.total shown/>
    }
    .into_any()
}

#[component]
fn OperationTr(op: OperationRow) -> impl IntoView {
    let href = format!("/operations/{}", op.id);
    let actor_href = href_with(PATH, &[("actor", op.requested_by.clone())]);
    view! {
        <tr data-op-id=op.id.clone() data-kind=op.kind.clone() data-status=op.status.clone()>
            <td class="nowrap mono small">
                <a href=href.clone() class="op-link">
                    <Time at=op.requested_at/>
                </a>
                {op
                    .scheduled_at
                    .map(|t| {
                        view! {
                            <div class="muted small">
                                "scheduled " <Time at=t short=true/>
                            </div>
                        }
                    })}
            </td>
            <td>
                <a href=href>{kind_label(&op.kind)}</a>
            </td>
            <td class="selection">{op.selection.clone()}</td>
            <td>
                <StatusBadge status=op.status.clone()/>
            </td>
            <td>
                <OpProgress total=op.targets_total succeeded=op.succeeded failed=op.failed cancelled=op.cancelled/>
            </td>
            <td class="actor">
                <a href=actor_href title="Only this requester">{op.requested_by.clone()}</a>
            </td>
            <td class="summary">{op.reason.clone()}</td>
        </tr>
    }
}
