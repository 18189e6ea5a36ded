//! Page titles: "Inventory · NetLedger".

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageTitle(#[prop(into)] text: Signal<String>) -> impl IntoView {
    view! { <Title text=move || format!("{} · NetLedger", text.get())/> }
}
