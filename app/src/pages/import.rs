//! `/devices/import`: paste or pick a CSV file, preview it with the domain's parser, import it.

use domain::device::import::parse_csv;
use leptos::prelude::*;

use crate::api::import_devices;
use crate::components::alert::ErrorBox;
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::csv_input::CsvInput;
use crate::components::live::use_live;
use crate::components::query::href_with;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::ImportReport;

const HEADER: &str =
    "hostname,address,port,platform,vendor,model,site,latitude,longitude,group,tags,credential_ref,notes";
const EXAMPLE: &str =
    "edge-1.par,192.0.2.10,22,cisco_ios,,ISR4451,PAR1,48.8566,2.3522,emea/paris/edge,\"core,pci\",vault:edge,";

#[component]
pub fn ImportPage() -> impl IntoView {
    let csv = RwSignal::new(String::new());
    let toasts = use_toasts();
    let live = use_live();
    let preview = Memo::new(move |_| {
        csv.with(|text| {
            if text.trim().is_empty() {
                None
            } else {
                Some(match parse_csv(text) {
                    Ok(p) => Ok((p.valid.len(), p.invalid.len())),
                    Err(e) => Err(e.to_string()),
                })
            }
        })
    });
    let import = Action::new(move |text: &String| {
        let text = text.clone();
        async move {
            let result = import_devices(text).await;
            match &result {
                Ok(r) if r.errors.is_empty() => {
                    toasts.success(format!("Imported {} device(s)", r.imported.len()));
                    live.update(|n| *n += 1);
                }
                Ok(r) => {
                    toasts.error(format!("Imported {} device(s); {} row(s) refused", r.imported.len(), r.errors.len()));
                    live.update(|n| *n += 1);
                }
                Err(e) => toasts.error(e.to_string()),
            }
            result
        }
    });
    let pending = import.pending();
    let result = import.value();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = csv.get_untracked();
        if text.trim().is_empty() {
            toasts.error("Paste CSV or choose a file first");
            return;
        }
        import.dispatch(text);
    };
    let template_href = format!("data:text/csv;charset=utf-8,{HEADER}%0A");

    view! {
        <PageTitle text="Import devices"/>
        <section class="page narrow" data-testid="import-page">
            <Breadcrumbs items=crumbs(&[("Inventory", Some("/devices")), ("Import CSV", None)])/>
            <div class="page-head">
                <h1>"Import devices from CSV"</h1>
            </div>
            <div class="panel">
                <h2>"Expected format"</h2>
                <p>
                    "A header row, then one device per line. Required columns: "
                    <code>"hostname"</code> ", " <code>"address"</code> ", " <code>"platform"</code>
                    " (" <code>"cisco_ios"</code> ", " <code>"aruba_aoscx"</code> ", " <code>"juniper_junos"</code>
                    "). Column names are case-insensitive; unknown columns are ignored. Quote tags lists that contain commas."
                </p>
                <pre class="code" id="csv-header">{HEADER}"\n"{EXAMPLE}</pre>
                <a href=template_href download="netledger-devices.csv" class="btn btn-small">
                    "Download template"
                </a>
            </div>
            <form class="form card" id="import-form" on:submit=on_submit>
                <CsvInput csv file_id="csv-file" text_id="csv" rows=12 placeholder=format!("{HEADER}\n{EXAMPLE}")/>
                <p class="preview" data-testid="import-preview" aria-live="polite">
                    {move || match preview.get() {
                        None => view! { <span class="muted">"Nothing to import yet."</span> }.into_any(),
                        Some(Ok((valid, invalid))) => {
                            view! {
                                <span>
                                    "Preview: " <strong>{valid}</strong> " valid row(s)"
                                    {(invalid > 0).then(|| view! { ", " <strong class="error-text">{invalid}</strong> " with errors" })}
                                    "."
                                </span>
                            }
                                .into_any()
                        }
                        Some(Err(e)) => view! { <span class="error-text">{e}</span> }.into_any(),
                    }}
                </p>
                <div class="form-actions">
                    <button type="submit" id="import-submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Importing…" } else { "Import" }}
                    </button>
                    <a href="/devices" class="btn btn-ghost">
                        "Back to inventory"
                    </a>
                </div>
            </form>
            {move || result.get().map(|r| view! { <ImportResult result=r/> })}
        </section>
    }
}

#[component]
fn ImportResult(result: Result<ImportReport, AppError>) -> impl IntoView {
    let report = match result {
        Ok(r) => r,
        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
    };
    let imported = report.imported.len();
    let refused = report.errors.len();
    view! {
        <section class="panel" id="import-report" data-imported=imported data-errors=refused>
            <h2>"Import report"</h2>
            <p>
                <span class="badge status status-active">{format!("{imported} imported")}</span>
                " "
                {(refused > 0).then(|| view! { <span class="badge status status-error">{format!("{refused} refused")}</span> })}
            </p>
            {(refused > 0)
                .then(|| {
                    view! {
                        <h3>"Rows with errors"</h3>
                        <p class="muted">"Fix these rows and import them again; the valid rows were imported."</p>
                        <table class="table table-compact" id="import-errors">
                            <thead>
                                <tr>
                                    <th scope="col">"Line"</th>
                                    <th scope="col">"Hostname"</th>
                                    <th scope="col">"Problem"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {report
                                    .errors
                                    .into_iter()
                                    .map(|e| {
                                        view! {
                                            <tr data-line=e.line>
                                                <td class="mono">{e.line}</td>
                                                <td>{e.hostname}</td>
                                                <td>{e.message}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            {(imported > 0)
                .then(|| {
                    view! {
                        <details open=imported <= 20>
                            <summary>{format!("Imported devices ({imported})")}</summary>
                            <ul class="imported-list" id="imported-list">
                                {report
                                    .imported
                                    .into_iter()
                                    .map(|h| {
                                        let href = href_with("/devices", &[("q", h.clone())]);
                                        view! {
                                            <li>
                                                <a href=href>{h}</a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </details>
                    }
                })}
        </section>
    }
        .into_any()
}
