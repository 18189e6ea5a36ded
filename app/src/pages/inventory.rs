//! `/devices`: the inventory table; every filter, the sort and the page live in the URL.

use std::collections::BTreeSet;
use std::time::Duration;

use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

use crate::api::{device_facets, list_devices};
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::{platform_label, StatusBadge, TagChips};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::active_element_id;
use crate::components::live::use_live;
use crate::components::pagination::Pagination;
use crate::components::query::{current_with, href_with, pairs_href, parse_page};
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::user::IfCan;
use crate::model::{DeviceQuery, DeviceRow, DeviceSort, Facets, Page};

const PATH: &str = "/devices";
const KEYS: &[&str] = &["q", "platform", "site", "group", "tag", "status", "sort", "desc", "page"];
pub const PER_PAGE: u32 = 50;

fn query_from(map: &ParamsMap) -> DeviceQuery {
    let get = |k: &str| map.get(k).unwrap_or_default();
    DeviceQuery {
        q: get("q"),
        platform: get("platform"),
        site: get("site"),
        group: get("group"),
        tag: get("tag"),
        status: get("status"),
        sort: DeviceSort::parse(&get("sort")),
        desc: matches!(get("desc").as_str(), "1" | "true"),
        page: parse_page(&get("page")),
        per_page: PER_PAGE,
    }
}

/// Navigates to the inventory with `changes` applied to the current query; filters reset the page.
fn use_query_setter() -> impl Fn(Vec<(&'static str, String)>, bool) + Clone + 'static {
    let navigate = use_navigate();
    let query = use_query_map();
    move |mut changes: Vec<(&'static str, String)>, replace: bool| {
        if !changes.iter().any(|(k, _)| *k == "page") {
            changes.push(("page", String::new()));
        }
        let href = pairs_href(PATH, &current_with(&query.get_untracked(), KEYS, &changes));
        navigate(&href, NavigateOptions { replace, scroll: false, ..NavigateOptions::default() });
    }
}

#[component]
pub fn InventoryPage() -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let dq = Memo::new(move |_| query.with(query_from));
    let devices = Resource::new(move || (live.get(), dq.get()), |(_, q)| list_devices(q));
    let facets = Resource::new(move || live.get(), |_| device_facets());

    view! {
        <PageTitle text="Inventory"/>
        <section class="page" data-testid="inventory">
            <Breadcrumbs items=crumbs(&[("Inventory", None)])/>
            <div class="page-head">
                <h1>"Inventory"</h1>
                <div class="actions">
                    <IfCan perm=Permission::ManageDevices>
                        <a href="/devices/new" class="btn btn-primary" id="add-device">
                            "+ Add device"
                        </a>
                        <a href="/devices/import" class="btn" id="import-csv">
                            "Import CSV"
                        </a>
                    </IfCan>
                </div>
            </div>
            <Filters dq facets/>
            <Transition fallback=|| view! { <Loading label="Loading devices…"/> }>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(page) => view! { <DeviceTable page dq=dq.get_untracked()/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Filters(dq: Memo<DeviceQuery>, facets: Resource<Result<Facets, crate::error::AppError>>) -> impl IntoView {
    let set = use_query_setter();
    let text = RwSignal::new(dq.get_untracked().q);
    // Back/forward changes the URL: mirror it into the box unless the user is typing there.
    Effect::new(move |_| {
        let q = dq.with(|d| d.q.clone());
        if active_element_id().as_deref() != Some("device-search") {
            text.set(q);
        }
    });
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let on_search = {
        let set = set.clone();
        move |ev| {
            let v = event_target_value(&ev);
            text.set(v.clone());
            if let Some(h) = timer.get_value() {
                h.clear();
            }
            let set = set.clone();
            let h = set_timeout_with_handle(
                move || set(vec![("q", v.trim().to_owned())], true),
                Duration::from_millis(250),
            )
            .ok();
            timer.set_value(h);
        }
    };
    // Enter applies the search at once instead of waiting for the debounce.
    let on_enter = {
        let set = set.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if let Some(h) = timer.get_value() {
                h.clear();
            }
            set(vec![("q", text.get_untracked().trim().to_owned())], false);
        }
    };
    let select = move |key: &'static str| {
        let set = set.clone();
        move |ev| set(vec![(key, event_target_value(&ev))], false)
    };
    let any_filter = move || {
        dq.with(|d| {
            !(d.q.is_empty()
                && d.platform.is_empty()
                && d.site.is_empty()
                && d.group.is_empty()
                && d.tag.is_empty()
                && d.status.is_empty())
        })
    };

    view! {
        <form class="filters" role="search" on:submit=on_enter method="get" action=PATH>
            <div class="filter filter-grow">
                <label for="device-search">"Search"</label>
                <input
                    id="device-search"
                    name="q"
                    type="search"
                    placeholder="hostname, address, model, notes…"
                    autocomplete="off"
                    value=text.get_untracked()
                    prop:value=move || text.get()
                    on:input=on_search
                />
            </div>
            <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                {
                    let select = select.clone();
                    move || {
                        let select = select.clone();
                        // Tracked: back/forward re-renders the selects with the URL's values.
                        let cur = dq.get();
                        Suspend::new(async move {
                            let f = facets.await.unwrap_or_default();
                            let platforms = f.platforms.iter().map(|c| (c.key.clone(), format!("{} ({})", platform_label(&c.key), c.count))).collect();
                            let sites = f.sites.iter().filter(|c| !c.key.is_empty()).map(|c| (c.key.clone(), format!("{} ({})", c.key, c.count))).collect();
                            let groups = group_options(&f);
                            let tags = f.tags.iter().map(|c| (c.key.clone(), format!("{} ({})", c.key, c.count))).collect();
                            let statuses = vec![
                                (String::new(), "Active".to_owned()),
                                ("decommissioned".to_owned(), "Decommissioned".to_owned()),
                                ("all".to_owned(), "All".to_owned()),
                            ];
                            view! {
                                <FilterSelect id="filter-platform" label="Platform" all="All platforms" options=platforms current=cur.platform.clone() on_change=select("platform")/>
                                <FilterSelect id="filter-site" label="Site" all="All sites" options=sites current=cur.site.clone() on_change=select("site")/>
                                <FilterSelect id="filter-group" label="Group" all="All groups" options=groups current=cur.group.clone() on_change=select("group")/>
                                <FilterSelect id="filter-tag" label="Tag" all="All tags" options=tags current=cur.tag.clone() on_change=select("tag")/>
                                <div class="filter">
                                    <label for="filter-status">"Status"</label>
                                    <select id="filter-status" name="status" on:change=select("status")>
                                        {statuses
                                            .into_iter()
                                            .map(|(v, l)| {
                                                let selected = v == cur.status;
                                                view! { <option value=v selected=selected>{l}</option> }
                                            })
                                            .collect_view()}
                                    </select>
                                </div>
                            }
                        })
                    }
                }
            </Transition>
            <Show when=any_filter>
                <div class="filter filter-end">
                    <a href=PATH class="btn btn-small btn-ghost" id="clear-filters">
                        "Clear filters"
                    </a>
                </div>
            </Show>
        </form>
    }
}

/// Every group and all its ancestors (the filter matches sub-groups), with rolled-up counts.
fn group_options(f: &Facets) -> Vec<(String, String)> {
    let mut paths = BTreeSet::new();
    for g in f.groups.iter().filter(|g| !g.key.is_empty()) {
        let mut acc = String::new();
        for seg in g.key.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(seg);
            paths.insert(acc.clone());
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let prefix = format!("{p}/");
            let n: i64 = f.groups.iter().filter(|g| g.key == p || g.key.starts_with(&prefix)).map(|g| g.count).sum();
            (p.clone(), format!("{p} ({n})"))
        })
        .collect()
}

#[component]
fn FilterSelect<F>(
    id: &'static str,
    label: &'static str,
    all: &'static str,
    options: Vec<(String, String)>,
    current: String,
    on_change: F,
) -> impl IntoView
where
    F: Fn(leptos::ev::Event) + 'static,
{
    let name = id.trim_start_matches("filter-");
    // Keep a filter from the URL selectable even when no device has it any more.
    let mut options = options;
    if !current.is_empty() && !options.iter().any(|(v, _)| *v == current) {
        options.push((current.clone(), format!("{current} (0)")));
    }
    view! {
        <div class="filter">
            <label for=id>{label}</label>
            <select id=id name=name on:change=on_change>
                <option value="" selected=current.is_empty()>
                    {all}
                </option>
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = v == current;
                        view! {
                            <option value=v selected=selected>
                                {l}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

const COLUMNS: [(DeviceSort, &str); 7] = [
    (DeviceSort::Hostname, "Hostname"),
    (DeviceSort::Address, "Address"),
    (DeviceSort::Platform, "Platform"),
    (DeviceSort::Site, "Site"),
    (DeviceSort::Group, "Group"),
    (DeviceSort::Status, "Status"),
    (DeviceSort::Updated, "Updated"),
];

#[component]
fn DeviceTable(page: Page<DeviceRow>, dq: DeviceQuery) -> impl IntoView {
    let query = use_query_map();
    let filtered = !(dq.q.is_empty()
        && dq.platform.is_empty()
        && dq.site.is_empty()
        && dq.group.is_empty()
        && dq.tag.is_empty()
        && dq.status.is_empty());
    if page.items.is_empty() && page.total > 0 {
        let first = pairs_href(PATH, &current_with(&query.get_untracked(), KEYS, &[("page", String::new())]));
        return view! {
            <EmptyState title="This page is empty" text=format!("There are {} matching devices.", page.total)>
                <a href=first class="btn">"Go to the first page"</a>
            </EmptyState>
        }
        .into_any();
    }
    if page.items.is_empty() {
        return if filtered {
            view! {
                <EmptyState title="No devices match these filters" text="Try a broader search or clear the filters.">
                    <a href=PATH class="btn">"Clear filters"</a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No devices yet" text="Register your first device or import an existing inventory from CSV.">
                    <IfCan perm=Permission::ManageDevices>
                        <a href="/devices/new" class="btn btn-primary">"+ Add device"</a>
                        <a href="/devices/import" class="btn">"Import CSV"</a>
                    </IfCan>
                </EmptyState>
            }
            .into_any()
        };
    }
    let sort_href = move |col: DeviceSort| {
        let desc = if dq.sort == col && !dq.desc { "1".to_owned() } else { String::new() };
        let sort = if col == DeviceSort::Hostname { String::new() } else { col.as_str().to_owned() };
        pairs_href(
            PATH,
            &current_with(&query.get_untracked(), KEYS, &[("sort", sort), ("desc", desc), ("page", String::new())]),
        )
    };
    let headers = COLUMNS
        .into_iter()
        .map(|(col, label)| {
            let active = dq.sort == col;
            let aria = if active {
                if dq.desc {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            };
            let arrow = if active {
                if dq.desc {
                    " ▼"
                } else {
                    " ▲"
                }
            } else {
                ""
            };
            view! {
                <th scope="col" aria-sort=aria class:sorted=active>
                    <a href=sort_href(col) data-sort=col.as_str()>
                        {label}
                        <span class="sort-arrow" aria-hidden="true">{arrow}</span>
                    </a>
                </th>
            }
        })
        .collect_view();
    let shown = page.items.len();
    view! {
        <div class="table-wrap">
            <table id="device-table" class="table" data-total=page.total>
                <thead>
                    <tr>
                        {headers}
                        <th scope="col">"Tags"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|d| view! { <DeviceTr d/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pagination path=PATH keys=KEYS page=page.page.max(1) per_page=page.per_page.max(1) total=page.total shown/>
    }
    .into_any()
}

#[component]
fn DeviceTr(d: DeviceRow) -> impl IntoView {
    let group_link = d.group.clone().map(|g| {
        let href = href_with(PATH, &[("group", g.clone())]);
        view! { <a href=href class="group-path">{g}</a> }
    });
    view! {
        <tr data-hostname=d.hostname.clone() data-id=d.id.clone() data-status=d.status.clone()>
            <td class="hostname">
                <a href=format!("/devices/{}", d.id)>{d.hostname.clone()}</a>
            </td>
            <td class="mono">{format!("{}:{}", d.address, d.port)}</td>
            <td>{platform_label(&d.platform)}</td>
            <td>{d.site.clone()}</td>
            <td>{group_link}</td>
            <td>
                <StatusBadge status=d.status.clone()/>
            </td>
            <td class="nowrap">
                <Time at=d.updated_at short=true/>
            </td>
            <td>
                <TagChips tags=d.tags.clone()/>
            </td>
        </tr>
    }
}
