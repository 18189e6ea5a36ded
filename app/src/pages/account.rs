use leptos::prelude::*;

#[component]
pub fn PasswordPage() -> impl IntoView {
    view! { <p>"todo"</p> }
}
