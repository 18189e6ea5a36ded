//! `/`: counts, live activity and quick actions.

use domain::identity::Permission;
use leptos::prelude::*;

use crate::api::get_dashboard;
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::platform_label;
use crate::components::breadcrumbs::Breadcrumbs;
use crate::components::live::use_live;
use crate::components::query::href_with;
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::user::IfCan;
use crate::model::{AuditEntry, CountBy, Dashboard};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let live = use_live();
    let data = Resource::new(move || live.get(), |_| get_dashboard());
    view! {
        <PageTitle text="Dashboard"/>
        <section class="page" data-testid="dashboard">
            <Breadcrumbs items=Vec::new()/>
            <div class="page-head">
                <h1>"Dashboard"</h1>
                <div class="actions">
                    <IfCan perm=Permission::ManageDevices>
                        <a href="/devices/new" class="btn btn-primary" id="quick-add-device">
                            "+ Add device"
                        </a>
                        <a href="/devices/import" class="btn" id="quick-import">
                            "Import CSV"
                        </a>
                    </IfCan>
                    <IfCan perm=Permission::ReadAudit>
                        <a href="/audit" class="btn" id="quick-audit">
                            "Audit trail"
                        </a>
                    </IfCan>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <DashboardBody d/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn count_of(list: &[CountBy], key: &str) -> i64 {
    list.iter().find(|c| c.key == key).map_or(0, |c| c.count)
}

#[component]
fn DashboardBody(d: Dashboard) -> impl IntoView {
    let active = count_of(&d.facets.statuses, "active");
    let decommissioned = count_of(&d.facets.statuses, "decommissioned");
    let platforms: Vec<(String, i64, String)> = d
        .facets
        .platforms
        .iter()
        .map(|c| (platform_label(&c.key), c.count, href_with("/devices", &[("platform", c.key.clone())])))
        .collect();
    let sites: Vec<(String, i64, String)> = d
        .facets
        .sites
        .iter()
        .map(|c| {
            let label = if c.key.is_empty() { "(no site)".to_owned() } else { c.key.clone() };
            (label, c.count, href_with("/devices", &[("site", c.key.clone())]))
        })
        .collect();
    let statuses: Vec<(String, i64, String)> = d
        .facets
        .statuses
        .iter()
        .map(|c| (c.key.clone(), c.count, href_with("/devices", &[("status", c.key.clone())])))
        .collect();
    view! {
        <div class="stats">
            <a class="stat" href="/devices?status=all" data-testid="stat-total">
                <span class="stat-value">{d.total_devices}</span>
                <span class="stat-label">"Devices"</span>
            </a>
            <a class="stat stat-ok" href="/devices" data-testid="stat-active">
                <span class="stat-value">{active}</span>
                <span class="stat-label">"Active"</span>
            </a>
            <a class="stat stat-muted" href="/devices?status=decommissioned" data-testid="stat-decommissioned">
                <span class="stat-value">{decommissioned}</span>
                <span class="stat-label">"Decommissioned"</span>
            </a>
            <a class="stat" href="/audit" data-testid="stat-events">
                <span class="stat-value">{d.total_events}</span>
                <span class="stat-label">"Events recorded"</span>
            </a>
        </div>
        <div class="grid-3">
            <BarPanel title="By status" rows=statuses/>
            <BarPanel title="By platform" rows=platforms/>
            <BarPanel title="By site" rows=sites/>
        </div>
        <section class="panel">
            <div class="panel-head">
                <h2>"Recent activity"</h2>
                <span class="live-dot" title="Updates live">
                    "live"
                </span>
            </div>
            <ActivityFeed entries=d.recent/>
        </section>
    }
}

#[component]
fn BarPanel(title: &'static str, rows: Vec<(String, i64, String)>) -> impl IntoView {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    view! {
        <section class="panel">
            <h2>{title}</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"No devices yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="bars">
                        {rows
                            .into_iter()
                            .map(|(label, count, href)| {
                                #[allow(clippy::cast_precision_loss)]
                                let pct = (count as f64 / max as f64 * 100.0).round();
                                view! {
                                    <li>
                                        <a href=href>
                                            <span class="bar-label">{label}</span>
                                            <span class="bar-count">{count}</span>
                                            <span class="bar" style=format!("width:{pct}%")></span>
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

/// Newest first; device events link to the device.
#[component]
pub fn ActivityFeed(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <EmptyState title="No activity yet" text="Changes will appear here as they happen."/> }
            .into_any();
    }
    view! {
        <ol class="feed" data-testid="activity-feed">
            {entries
                .into_iter()
                .map(|e| {
                    let subject = if e.aggregate_type == "device" {
                        view! { <a href=format!("/devices/{}", e.aggregate_id)>{e.subject.clone()}</a> }.into_any()
                    } else {
                        view! { <span>{e.subject.clone()}</span> }.into_any()
                    };
                    view! {
                        <li data-event-type=e.event_type.clone()>
                            <span class="feed-time">
                                <Time at=e.recorded_at short=true/>
                            </span>
                            <span class="feed-body">
                                <strong class="actor">{e.actor.clone()}</strong>
                                " "
                                <span class="event-type">{e.event_type.clone()}</span>
                                " "
                                {subject}
                                <span class="muted">" — " {e.summary.clone()}</span>
                            </span>
                            <span class="badge source">{e.source.clone()}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
