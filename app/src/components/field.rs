//! A labelled form field with its validation message.

use leptos::prelude::*;

#[component]
pub fn Field(
    #[prop(into)] label: String,
    /// The id of the input inside, for `<label for>`.
    #[prop(into)]
    id: String,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] class: String,
    children: Children,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class=format!("field {class}") class:has-error=move || error.with(Option::is_some)>
            <label for=id>
                {label}
                {required.then(|| view! { <span class="req" title="required">" *"</span> })}
            </label>
            {children()}
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            {move || error.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}
