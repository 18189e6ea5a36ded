//! `/destinations`: the places latency is measured to; add, edit, remove and bulk import.

use domain::identity::Permission;
use domain::monitoring::DestinationDraft;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::focus;
use crate::components::csv_input::CsvInput;
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::pagination::Pagination;
use crate::components::query::{href_with, parse_page};
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::IfCan;
use crate::error::AppError;
use crate::model::{ImportReport, Page};
use crate::monitoring::api::{
    add_destination, import_destinations, list_destinations, remove_destination, update_destination,
};
use crate::monitoring::model::{DestinationQuery, DestinationRow};
use crate::pages::ops_common::{field_error, shown_above, ConfirmDialog};

const PATH: &str = "/destinations";
const KEYS: &[&str] = &["q", "tag", "page"];
const PER_PAGE: u32 = 50;
const FIELDS: [&str; 6] = ["name", "address", "site", "city", "country", "tags"];
const CSV_HEADER: &str = "name,address,site,city,country,tags";
const CSV_EXAMPLE: &str = "Paris DC,192.0.2.10,PAR1,Paris,FR,\"eu,dc\"";

fn query_from(map: &ParamsMap) -> DestinationQuery {
    let get = |k: &str| map.get(k).unwrap_or_default().trim().to_owned();
    DestinationQuery { q: get("q"), tag: get("tag"), page: parse_page(&get("page")), per_page: PER_PAGE }
}

/// The form's state: which destination is edited (`None`: a new one) and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Editing {
    id: Option<String>,
    version: i64,
    draft: DestinationDraft,
}

fn draft_of(d: &DestinationRow) -> DestinationDraft {
    DestinationDraft {
        name: d.name.clone(),
        address: d.address.clone(),
        site: d.site.clone(),
        city: d.city.clone(),
        country: d.country.clone(),
        tags: d.tags.join(", "),
    }
}

#[component]
pub fn DestinationsPage() -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let dq = Memo::new(move |_| query.with(query_from));
    let list = Resource::new(move || (live.get(), dq.get()), |(_, q)| list_destinations(q));
    let editing = RwSignal::new(None::<Editing>);
    let removing = RwSignal::new(None::<DestinationRow>);
    let toasts = use_toasts();

    let remove = Action::new(move |id: &String| {
        let id = id.clone();
        async move {
            let result = remove_destination(id).await;
            match &result {
                Ok(()) => {
                    toasts.success("Destination removed");
                    removing.set(None);
                    live.update(|n| *n += 1);
                }
                Err(e) => toasts.error(e.to_string()),
            }
            result
        }
    });
    let remove_pending = remove.pending();
    let confirm_open = RwSignal::new(false);
    // The dialog opens when a row asks for removal and forgets the row when closed; each side is
    // written only on a real change, or the two effects would wake each other forever.
    Effect::new(move |_| {
        let want = removing.with(Option::is_some);
        if confirm_open.get_untracked() != want {
            confirm_open.set(want);
        }
    });
    Effect::new(move |_| {
        if !confirm_open.get() && removing.with_untracked(Option::is_some) {
            removing.set(None);
        }
    });

    view! {
        <PageTitle text="Destinations"/>
        <section class="page" data-testid="destinations-page">
            <Breadcrumbs items=crumbs(&[("Monitoring", Some("/monitoring")), ("Destinations", None)])/>
            <div class="page-head">
                <h1>"Destinations"</h1>
                <div class="actions">
                    <IfCan perm=Permission::ManageMonitoring>
                        <button
                            type="button"
                            class="btn btn-primary"
                            id="add-destination"
                            on:click=move |_| editing.set(Some(Editing { id: None, version: 0, draft: DestinationDraft::default() }))
                        >
                            "+ Add destination"
                        </button>
                    </IfCan>
                </div>
            </div>
            <DestinationFilters dq/>
            <Transition fallback=|| view! { <Loading label="Loading destinations…"/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(page) => {
                            let q = dq.get_untracked();
                            let filtered = !(q.q.is_empty() && q.tag.is_empty());
                            view! { <DestinationsTable page filtered editing removing/> }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <IfCan perm=Permission::ManageMonitoring>
                <ImportPanel/>
            </IfCan>
            <DestinationDialog editing/>
            <ConfirmDialog
                open=confirm_open
                title=Signal::derive(move || removing.with(|r| r.as_ref().map(|d| format!("Remove {}?", d.name)).unwrap_or_default()))
                confirm_label="Remove destination"
                confirm_id="remove-confirm"
                danger=true
                pending=remove_pending
                on_confirm=Callback::new(move |()| {
                    if let Some(d) = removing.get_untracked() {
                        remove.dispatch(d.id);
                    }
                })
            >
                <p>"Running jobs keep measuring it until they end; new jobs can no longer choose it."</p>
            </ConfirmDialog>
        </section>
    }
}

#[component]
fn DestinationFilters(dq: Memo<DestinationQuery>) -> impl IntoView {
    move || {
        let q = dq.get();
        let filtered = !(q.q.is_empty() && q.tag.is_empty());
        view! {
            <Form method="get" action=PATH attr:class="filters" attr:id="dst-filters" attr:role="search">
                <div class="filter">
                    <label for="dst-q">"Search"</label>
                    <input id="dst-q" name="q" type="search" value=q.q.clone() placeholder="name, address, site, city, country" autocomplete="off"/>
                </div>
                <div class="filter">
                    <label for="dst-tag">"Tag"</label>
                    <input id="dst-tag" name="tag" type="text" value=q.tag.clone() autocomplete="off"/>
                </div>
                <div class="filter filter-end">
                    <button type="submit" class="btn btn-primary" id="dst-apply">"Apply"</button>
                    {filtered.then(|| view! { <a href=PATH class="btn btn-ghost" id="dst-reset">"Reset"</a> })}
                </div>
            </Form>
        }
    }
}

#[component]
fn DestinationsTable(
    page: Page<DestinationRow>,
    filtered: bool,
    editing: RwSignal<Option<Editing>>,
    removing: RwSignal<Option<DestinationRow>>,
) -> impl IntoView {
    if page.items.is_empty() {
        return if filtered {
            view! {
                <EmptyState title="No destinations match" text="Change the search or the tag.">
                    <a href=PATH class="btn">"Clear filters"</a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No destinations yet" text="Add the addresses or DNS names you want to measure latency to, one by one or from a CSV file below."/>
            }
            .into_any()
        };
    }
    let shown = page.items.len();
    view! {
        <div class="table-wrap">
            <table class="table table-compact" id="destinations-table" data-total=page.total>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col">"Site"</th>
                        <th scope="col">"City"</th>
                        <th scope="col">"Country"</th>
                        <th scope="col">"Tags"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .items
                        .into_iter()
                        .map(|d| {
                            let for_edit = d.clone();
                            let for_remove = d.clone();
                            view! {
                                <tr data-destination-id=d.id.clone() data-name=d.name.clone()>
                                    <td class="dst-name">{d.name.clone()}</td>
                                    <td class="mono small">{d.address.clone()}</td>
                                    <td>{d.site.clone()}</td>
                                    <td>{d.city.clone()}</td>
                                    <td>{d.country.clone()}</td>
                                    <td>
                                        <span class="chips">
                                            {d
                                                .tags
                                                .iter()
                                                .map(|t| {
                                                    let href = href_with(PATH, &[("tag", t.clone())]);
                                                    view! { <a class="chip" href=href>{t.clone()}</a> }
                                                })
                                                .collect_view()}
                                        </span>
                                    </td>
                                    <td class="nowrap">
                                        <IfCan perm=Permission::ManageMonitoring>
                                            {
                                                let (e, r) = (for_edit.clone(), for_remove.clone());
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="btn btn-small edit-dst"
                                                        on:click=move |_| editing.set(Some(Editing { id: Some(e.id.clone()), version: e.version, draft: draft_of(&e) }))
                                                    >
                                                        "Edit"
                                                    </button>
                                                    " "
                                                    <button type="button" class="btn btn-small btn-ghost remove-dst" on:click=move |_| removing.set(Some(r.clone()))>
                                                        "Remove"
                                                    </button>
                                                }
                                            }
                                        </IfCan>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Pagination path=PATH keys=KEYS page=page.page.max(1) per_page=page.per_page.max(1) total=page.total shown/>
    }
    .into_any()
}

/// Add or edit one destination; the domain's parser runs before anything is sent.
#[component]
fn DestinationDialog(editing: RwSignal<Option<Editing>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let site = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let country = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let live = use_live();
    let toasts = use_toasts();

    Effect::new(move |_| {
        if let Some(e) = editing.get() {
            name.set(e.draft.name.clone());
            address.set(e.draft.address.clone());
            site.set(e.draft.site.clone());
            city.set(e.draft.city.clone());
            country.set(e.draft.country.clone());
            tags.set(e.draft.tags.clone());
            error.set(None);
            request_animation_frame(|| focus("dst-name"));
        }
    });
    let draft = move || DestinationDraft {
        name: name.get_untracked(),
        address: address.get_untracked(),
        site: site.get_untracked(),
        city: city.get_untracked(),
        country: country.get_untracked(),
        tags: tags.get_untracked(),
    };
    let save = Action::new(move |(e, d): &(Editing, DestinationDraft)| {
        let (e, d) = (e.clone(), d.clone());
        async move {
            let result = match e.id {
                Some(id) => update_destination(id, d, e.version).await,
                None => add_destination(d).await,
            };
            match result {
                Ok(row) => {
                    toasts.success(format!("Saved {}", row.name));
                    editing.set(None);
                    live.update(|n| *n += 1);
                }
                Err(err) => {
                    if let Some(f) = err.field_errors() {
                        if let Some(first) = FIELDS.iter().find(|k| f.get(k).is_some()) {
                            focus(&format!("dst-{first}"));
                        }
                    }
                    error.set(Some(err));
                }
            }
        }
    });
    let pending = save.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(e) = editing.get_untracked() else {
            return;
        };
        let d = draft();
        if let Err(f) = d.parse() {
            if let Some(first) = FIELDS.iter().find(|k| f.get(k).is_some()) {
                focus(&format!("dst-{first}"));
            }
            error.set(Some(AppError::Invalid(f)));
            return;
        }
        error.set(None);
        save.dispatch((e, d));
    };
    let input = move |id: &'static str,
                      field: &'static str,
                      label: &'static str,
                      sig: RwSignal<String>,
                      required: bool,
                      hint: &'static str| {
        view! {
            <Field label=label id=id error=field_error(error, field) required hint=hint.to_owned()>
                <input
                    id=id
                    name=field
                    type="text"
                    autocomplete="off"
                    prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))
                />
            </Field>
        }
    };
    view! {
        <Show when=move || editing.with(Option::is_some)>
            <div class="modal-backdrop" on:click=move |_| editing.set(None)></div>
            <div
                class="modal modal-wide"
                role="dialog"
                aria-modal="true"
                aria-labelledby="dst-dialog-title"
                data-testid="destination-dialog"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        editing.set(None);
                    }
                }
            >
                <form on:submit=submit novalidate id="destination-form">
                    <h2 id="dst-dialog-title">
                        {move || if editing.with(|e| e.as_ref().is_some_and(|e| e.id.is_some())) { "Edit destination" } else { "Add destination" }}
                    </h2>
                    {move || error.get().filter(|e| shown_above(e, &FIELDS)).map(|e| view! { <ErrorBox error=e/> })}
                    {input("dst-name", "name", "Name", name, true, "")}
                    {input("dst-address", "address", "Address", address, true, "an IPv4/IPv6 address or a DNS name")}
                    <div class="form-grid">
                        {input("dst-site", "site", "Site", site, false, "")}
                        {input("dst-city", "city", "City", city, false, "")}
                        {input("dst-country", "country", "Country", country, false, "")}
                    </div>
                    {input("dst-tags", "tags", "Tags", tags, false, "comma- or space-separated")}
                    <div class="modal-actions">
                        <button type="button" class="btn" on:click=move |_| editing.set(None)>"Cancel"</button>
                        <button type="submit" id="dst-save" class="btn btn-primary" disabled=move || pending.get()>
                            {move || if pending.get() { "Saving…" } else { "Save" }}
                        </button>
                    </div>
                </form>
            </div>
        </Show>
    }
}

#[component]
fn ImportPanel() -> impl IntoView {
    let csv = RwSignal::new(String::new());
    let toasts = use_toasts();
    let live = use_live();
    let import = Action::new(move |text: &String| {
        let text = text.clone();
        async move {
            let result = import_destinations(text).await;
            match &result {
                Ok(r) if r.errors.is_empty() => toasts.success(format!("Added {} destination(s)", r.imported.len())),
                Ok(r) => toasts.error(format!(
                    "Added {} destination(s); {} line(s) refused",
                    r.imported.len(),
                    r.errors.len()
                )),
                Err(e) => toasts.error(e.to_string()),
            }
            live.update(|n| *n += 1);
            result
        }
    });
    let pending = import.pending();
    let result = import.value();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = csv.get_untracked();
        if text.trim().is_empty() {
            toasts.error("Paste CSV or choose a file first");
            return;
        }
        import.dispatch(text);
    };
    view! {
        <details class="panel import-panel" id="destinations-import">
            <summary>
                <h2>"Bulk import (CSV)"</h2>
            </summary>
            <p class="small">
                "A header row, then one destination per line. Required: " <code>"name"</code> ", " <code>"address"</code>
                ". Quote tag lists that contain commas."
            </p>
            <pre class="code small">{CSV_HEADER}"\n"{CSV_EXAMPLE}</pre>
            <form class="form" id="dst-import-form" on:submit=submit>
                <CsvInput csv file_id="dst-csv-file" text_id="dst-csv" rows=6 placeholder=format!("{CSV_HEADER}\n{CSV_EXAMPLE}")/>
                <div class="form-actions">
                    <button type="submit" id="dst-import-submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Importing…" } else { "Import" }}
                    </button>
                </div>
            </form>
            {move || result.get().map(|r| view! { <ImportResult result=r/> })}
        </details>
    }
}

#[component]
fn ImportResult(result: Result<ImportReport, AppError>) -> impl IntoView {
    let report = match result {
        Ok(r) => r,
        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
    };
    let added = report.imported.len();
    let refused = report.errors.len();
    view! {
        <div id="dst-import-report" data-imported=added data-errors=refused>
            <p>
                <span class="badge status status-active">{format!("{added} added")}</span>
                " "
                {(refused > 0).then(|| view! { <span class="badge status status-error">{format!("{refused} refused")}</span> })}
            </p>
            {(refused > 0)
                .then(|| {
                    view! {
                        <table class="table table-compact" id="dst-import-errors">
                            <thead>
                                <tr>
                                    <th scope="col">"Line"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Problem"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {report
                                    .errors
                                    .into_iter()
                                    .map(|e| view! { <tr data-line=e.line><td class="mono">{e.line}</td><td>{e.hostname}</td><td>{e.message}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
        </div>
    }
    .into_any()
}
