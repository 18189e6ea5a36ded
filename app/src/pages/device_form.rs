//! `/devices/new` and `/devices/{id}/edit`: one form, validated as you type with the domain's own rules.

use std::collections::BTreeSet;

use domain::device::{DeviceDraft, Platform};
use domain::FieldErrors;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

use crate::api::{device_facets, get_device, register_device, update_device};
use crate::components::alert::{ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::focus;
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::DeviceRow;

/// Form fields in display order (also the order in which the first invalid one gets focus).
const FIELDS: [&str; 13] = [
    "hostname",
    "address",
    "port",
    "platform",
    "vendor",
    "model",
    "site",
    "group",
    "tags",
    "latitude",
    "longitude",
    "credential_ref",
    "notes",
];

#[component]
pub fn NewDevicePage() -> impl IntoView {
    let initial = DeviceDraft { port: Some("22".into()), ..DeviceDraft::default() };
    view! {
        <PageTitle text="Add device"/>
        <section class="page narrow" data-testid="device-new">
            <Breadcrumbs items=crumbs(&[("Inventory", Some("/devices")), ("Add device", None)])/>
            <div class="page-head">
                <h1>"Add device"</h1>
            </div>
            <DeviceForm initial edit=None cancel_href="/devices".to_owned()/>
        </section>
    }
}

pub fn draft_of(d: &DeviceRow) -> DeviceDraft {
    DeviceDraft {
        hostname: d.hostname.clone(),
        address: d.address.clone(),
        port: Some(d.port.to_string()),
        platform: d.platform.clone(),
        vendor: d.vendor.clone(),
        model: d.model.clone(),
        site: d.site.clone(),
        latitude: d.latitude.map(|v| v.to_string()),
        longitude: d.longitude.map(|v| v.to_string()),
        group: d.group.clone().unwrap_or_default(),
        tags: d.tags.join(", "),
        credential_ref: d.credential_ref.clone().unwrap_or_default(),
        notes: d.notes.clone(),
    }
}

#[component]
pub fn EditDevicePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    // Not keyed on live updates: a refresh would wipe what the user typed. Instead, a second
    // resource watches for changes by others and warns.
    let detail = Resource::new(move || id.get(), get_device);
    let live = use_live();
    let start = live.get_untracked();
    let latest = Resource::new(
        move || (live.get(), id.get()),
        move |(n, id)| async move {
            if n == start {
                Ok(None)
            } else {
                get_device(id).await.map(|d| Some(d.device.version))
            }
        },
    );
    // Page level, not inside the live-refreshed view (see DevicePage).
    let title = RwSignal::new("Edit device".to_owned());
    view! {
        <PageTitle text=title/>
        <section class="page narrow" data-testid="device-edit">
            <Transition fallback=|| view! { <Loading label="Loading device…"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            let row = d.device;
                            let loaded_version = row.version;
                            let device_href = format!("/devices/{}", row.id);
                            let changed = move || {
                                matches!(latest.get(), Some(Ok(Some(v))) if v != loaded_version)
                            };
                            title.set(format!("Edit {}", row.hostname));
                            view! {
                                <Breadcrumbs items=vec![
                                    ("Inventory".to_owned(), Some("/devices".to_owned())),
                                    (row.hostname.clone(), Some(device_href.clone())),
                                    ("Edit".to_owned(), None),
                                ]/>
                                <div class="page-head">
                                    <h1>"Edit " {row.hostname.clone()}</h1>
                                    <span class="muted mono">"version " {row.version}</span>
                                </div>
                                <Show when=changed>
                                    <div class="alert alert-warn" role="status" data-testid="stale-warning">
                                        "Someone else changed this device since you opened it. Saving will be refused; "
                                        <a href="" rel="external">"reload"</a>
                                        " to edit the latest version."
                                    </div>
                                </Show>
                                <DeviceForm
                                    initial=draft_of(&row)
                                    edit=Some((row.id.clone(), row.version))
                                    cancel_href=device_href.clone()
                                />
                            }
                                .into_any()
                        }
                        Err(e) => {
                            title.set("Edit device".to_owned());
                            view! {
                                <Breadcrumbs items=crumbs(&[("Inventory", Some("/devices")), ("Edit", None)])/>
                                <h1>"Edit device"</h1>
                                <ErrorBox error=e/>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

type Getter = fn(&DeviceDraft) -> String;
type Setter = fn(&mut DeviceDraft, String);

fn opt(s: String) -> Option<String> {
    Some(s).filter(|s| !s.trim().is_empty())
}

#[component]
fn DeviceForm(initial: DeviceDraft, edit: Option<(String, i64)>, cancel_href: String) -> impl IntoView {
    let draft = RwSignal::new(initial);
    // Fields the user edited: their errors show while typing (not on blur, which would shift the
    // layout under a pending click on the submit button).
    let touched = RwSignal::new(BTreeSet::<&'static str>::new());
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let client_errors = Memo::new(move |_| draft.with(|d| d.parse().err().unwrap_or_default()));
    let toasts = use_toasts();
    let live = use_live();
    let navigate = use_navigate();
    let facets = Resource::new(|| (), |()| device_facets());
    let is_edit = edit.is_some();

    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            let server = server_error
                .with(|e| e.as_ref().and_then(AppError::field_errors).and_then(|f| f.get(field).map(str::to_owned)));
            server.or_else(|| {
                (submitted.get() || touched.with(|t| t.contains(field)))
                    .then(|| client_errors.with(|e| e.get(field).map(str::to_owned)))
                    .flatten()
            })
        })
    };

    let save = Action::new(move |d: &DeviceDraft| {
        let d = d.clone();
        let edit = edit.clone();
        async move {
            match edit {
                Some((id, version)) => update_device(id, d, version).await,
                None => register_device(d).await,
            }
        }
    });
    let pending = save.pending();
    // `autofocus` only applies on page load; this also covers client-side navigation.
    Effect::new(move |_| focus("hostname"));
    Effect::new(move |_| {
        let Some(result) = save.value().get() else {
            return;
        };
        match result {
            Ok(row) => {
                toasts.success(if is_edit {
                    format!("Saved {}", row.hostname)
                } else {
                    format!("Registered {}", row.hostname)
                });
                live.update(|n| *n += 1);
                navigate(&format!("/devices/{}", row.id), NavigateOptions::default());
            }
            Err(e) => {
                toasts.error(e.to_string());
                if let Some(first) = e.field_errors().and_then(|f| FIELDS.iter().find(|k| f.get(k).is_some())) {
                    focus(first);
                }
                server_error.set(Some(e));
            }
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        server_error.set(None);
        let errors: FieldErrors = client_errors.get_untracked();
        if let Some(first) = FIELDS.iter().find(|k| errors.get(k).is_some()) {
            focus(first);
            return;
        }
        if errors.get("location").is_some() {
            focus("latitude");
            return;
        }
        save.dispatch(draft.get_untracked());
    };
    let touch = move |field: &'static str| {
        touched.update(|t| {
            t.insert(field);
        })
    };
    let input = move |id: &'static str, get: Getter, set: Setter| {
        let err = error_for(id);
        let list = match id {
            "site" => Some("site-options"),
            "group" => Some("group-options"),
            _ => None,
        };
        view! {
            <input
                id=id
                list=list
                name=id
                type="text"
                autocomplete="off"
                spellcheck="false"
                aria-invalid=move || err.with(Option::is_some).then_some("true")
                aria-describedby=format!("{id}-error")
                // The attribute is for the server-rendered HTML; the property keeps it in sync afterwards.
                value=draft.with_untracked(get)
                prop:value=move || draft.with(get)
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    draft.update(|d| set(d, v));
                    touch(id);
                    server_error.set(None);
                }
            />
        }
    };
    let vendor_placeholder = move || {
        draft.with(|d| match d.platform.parse::<Platform>() {
            Ok(Platform::CiscoIos) => "Cisco",
            Ok(Platform::ArubaAoscx) => "Aruba",
            Ok(Platform::JuniperJunos) => "Juniper",
            Err(_) => "defaults from platform",
        })
    };
    let location_error = error_for("location");
    let general_error = move || {
        server_error.get().or_else(|| {
            (submitted.get() && !client_errors.with(FieldErrors::is_empty))
                .then(|| AppError::Invalid(client_errors.get()))
        })
    };

    view! {
        <form class="form card" id="device-form" on:submit=on_submit novalidate>
            {move || general_error().map(|e| view! { <ErrorBox error=e/> })}
            <fieldset>
                <legend>"Identity"</legend>
                <div class="form-grid">
                    <Field label="Hostname" id="hostname" error=error_for("hostname") required=true hint="RFC 1123, e.g. edge-1.par.example.net">
                        <input
                            id="hostname"
                            name="hostname"
                            type="text"
                            autocomplete="off"
                            spellcheck="false"
                            autofocus
                            aria-invalid=move || error_for("hostname").with(Option::is_some).then_some("true")
                            value=draft.with_untracked(|d| d.hostname.clone())
                            prop:value=move || draft.with(|d| d.hostname.clone())
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                draft.update(|d| d.hostname = v);
                                touch("hostname");
                                server_error.set(None);
                            }
                        />
                    </Field>
                    <Field label="Management address" id="address" error=error_for("address") required=true hint="IP address or DNS name">
                        {input("address", |d| d.address.clone(), |d, v| d.address = v)}
                    </Field>
                    <Field label="SSH port" id="port" error=error_for("port") class="field-small">
                        {input("port", |d| d.port.clone().unwrap_or_default(), |d, v| d.port = Some(v))}
                    </Field>
                    <Field label="Platform" id="platform" error=error_for("platform") required=true>
                        <select
                            id="platform"
                            name="platform"
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                draft.update(|d| d.platform = v);
                                touch("platform");
                            }
                        >
                            <option value="" selected=draft.with_untracked(|d| d.platform.is_empty())>
                                "Choose…"
                            </option>
                            {Platform::ALL
                                .into_iter()
                                .map(|p| {
                                    let selected = draft.with_untracked(|d| d.platform == p.as_str());
                                    view! {
                                        <option value=p.as_str() selected=selected>
                                            {p.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </Field>
                    <Field label="Vendor" id="vendor" error=error_for("vendor")>
                        <input
                            id="vendor"
                            name="vendor"
                            type="text"
                            autocomplete="off"
                            placeholder=vendor_placeholder
                            value=draft.with_untracked(|d| d.vendor.clone())
                            prop:value=move || draft.with(|d| d.vendor.clone())
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                draft.update(|d| d.vendor = v);
                                touch("vendor");
                            }
                        />
                    </Field>
                    <Field label="Model" id="model" error=error_for("model")>
                        {input("model", |d| d.model.clone(), |d, v| d.model = v)}
                    </Field>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Placement"</legend>
                <div class="form-grid">
                    <Field label="Site" id="site" error=error_for("site") hint="e.g. PAR1">
                        {input("site", |d| d.site.clone(), |d, v| d.site = v)}
                    </Field>
                    <Field label="Group" id="group" error=error_for("group") hint="Hierarchical path, e.g. emea/paris/core">
                        {input("group", |d| d.group.clone(), |d, v| d.group = v)}
                    </Field>
                    <Field label="Tags" id="tags" error=error_for("tags") hint="Comma separated, e.g. core, pci" class="field-wide">
                        {input("tags", |d| d.tags.clone(), |d, v| d.tags = v)}
                    </Field>
                    <Field label="Latitude" id="latitude" error=error_for("latitude") class="field-small">
                        {input(
                            "latitude",
                            |d| d.latitude.clone().unwrap_or_default(),
                            |d, v| d.latitude = opt(v),
                        )}
                    </Field>
                    <Field label="Longitude" id="longitude" error=error_for("longitude") class="field-small">
                        {input(
                            "longitude",
                            |d| d.longitude.clone().unwrap_or_default(),
                            |d, v| d.longitude = opt(v),
                        )}
                    </Field>
                    {move || location_error.get().map(|m| view! { <p class="field-error field-wide" id="location-error">{m}</p> })}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Access and notes"</legend>
                <div class="form-grid">
                    <Field label="Credential reference" id="credential_ref" error=error_for("credential_ref") hint="Id of the credential in the vault — never the secret itself">
                        {input("credential_ref", |d| d.credential_ref.clone(), |d, v| d.credential_ref = v)}
                    </Field>
                    <Field label="Notes" id="notes" error=error_for("notes") class="field-wide">
                        <textarea
                            id="notes"
                            name="notes"
                            rows="4"
                            prop:value=move || draft.with(|d| d.notes.clone())
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                draft.update(|d| d.notes = v);
                                touch("notes");
                            }
                        >
                            {draft.with_untracked(|d| d.notes.clone())}
                        </textarea>
                    </Field>
                </div>
            </fieldset>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let f = facets.await.unwrap_or_default();
                    view! {
                        <datalist id="site-options">
                            {f.sites.iter().filter(|c| !c.key.is_empty()).map(|c| view! { <option value=c.key.clone()></option> }).collect_view()}
                        </datalist>
                        <datalist id="group-options">
                            {f.groups.iter().filter(|c| !c.key.is_empty()).map(|c| view! { <option value=c.key.clone()></option> }).collect_view()}
                        </datalist>
                    }
                })}
            </Transition>
            <div class="form-actions">
                <button type="submit" id="save-device" class="btn btn-primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Saving…" } else if is_edit { "Save changes" } else { "Register device" }}
                </button>
                <a href=cancel_href class="btn btn-ghost">
                    "Cancel"
                </a>
            </div>
        </form>
    }
}
