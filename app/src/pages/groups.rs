use leptos::prelude::*;

#[component]
pub fn GroupsPage() -> impl IntoView {
    view! { <p>"todo"</p> }
}
#[component]
pub fn TagsPage() -> impl IntoView {
    view! { <p>"todo"</p> }
}
