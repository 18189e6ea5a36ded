//! A CSV source for bulk imports: a file picker and a text area bound to one signal, so a
//! loaded file can still be corrected before it is sent.

use leptos::prelude::*;

/// Reads the picked file as text in the browser.
#[cfg(feature = "hydrate")]
fn read_file(ev: &leptos::ev::Event, done: impl FnOnce(String, String) + 'static) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    let name = file.name();
    let on_text: Closure<dyn FnMut(JsValue)> = Closure::once(move |v: JsValue| {
        if let Some(text) = v.as_string() {
            done(name, text);
        }
    });
    let _ = file.text().then(&on_text);
    on_text.forget();
}

#[cfg(not(feature = "hydrate"))]
fn read_file(_ev: &leptos::ev::Event, _done: impl FnOnce(String, String) + 'static) {}

/// `file_id` and `text_id` name the two inputs (labels and tests use them).
#[component]
pub fn CsvInput(
    csv: RwSignal<String>,
    file_id: &'static str,
    text_id: &'static str,
    rows: u32,
    placeholder: String,
) -> impl IntoView {
    let file_name = RwSignal::new(None::<String>);
    view! {
        <div class="field">
            <label for=file_id>"CSV file"</label>
            <input
                id=file_id
                name="file"
                type="file"
                accept=".csv,text/csv,text/plain"
                on:change=move |ev| {
                    read_file(
                        &ev,
                        move |name, text| {
                            csv.set(text);
                            file_name.set(Some(name));
                        },
                    );
                }
            />
            {move || file_name.get().map(|n| view! { <p class="hint">"Loaded " <strong>{n}</strong> " — you can still edit it below."</p> })}
        </div>
        <div class="field">
            <label for=text_id>"…or paste CSV"</label>
            <textarea
                id=text_id
                name="csv"
                rows=rows
                class="mono"
                spellcheck="false"
                placeholder=placeholder
                prop:value=move || csv.get()
                on:input=move |ev| csv.set(event_target_value(&ev))
            ></textarea>
        </div>
    }
}
