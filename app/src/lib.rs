//! NetLedger's browser UI: one Leptos app rendered on the server and hydrated in the browser.
#![recursion_limit = "256"]
#![allow(clippy::must_use_candidate)]
// `#[component]` functions take their props by value and return opaque views.
#![allow(clippy::needless_pass_by_value)]

pub mod api;
pub mod error;
pub mod model;
pub mod monitoring;
#[cfg(feature = "ssr")]
pub mod ssr;

mod components;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::live::provide_live;
use crate::components::shell::Shell;
use crate::components::toast::Toasts;
use crate::components::user::provide_current_user;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Applies the saved theme before first paint (no flash); the app re-applies it after hydration.
                <script nonce=leptos::nonce::use_nonce()>
                    "try{var t=localStorage.getItem('netledger-theme');if(t==='dark'||t==='light'){document.documentElement.setAttribute('data-theme',t)}}catch(e){}"
                </script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let live = provide_live();
    provide_current_user();
    provide_context(Toasts::new());

    Effect::new(move |_| {
        components::browser::mark_hydrated();
        components::browser::apply_saved_theme();
        components::browser::install_shortcuts();
        components::live::connect(live);
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/netledger.css"/>
        <Router>
            <Shell>
                <Routes fallback=|| view! { <pages::not_found::NotFound/> }>
                    <Route path=path!("/") view=pages::dashboard::DashboardPage/>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/devices") view=pages::inventory::InventoryPage/>
                    <Route path=path!("/devices/new") view=pages::device_form::NewDevicePage/>
                    <Route path=path!("/devices/import") view=pages::import::ImportPage/>
                    <Route path=path!("/devices/:id") view=pages::device::DevicePage/>
                    <Route path=path!("/devices/:id/edit") view=pages::device_form::EditDevicePage/>
                    <Route path=path!("/devices/:id/config") view=pages::device_config::DeviceConfigPage/>
                    <Route path=path!("/operations") view=pages::operations::OperationsPage/>
                    <Route path=path!("/operations/new") view=pages::launch::LaunchPage/>
                    <Route path=path!("/operations/:id") view=pages::operation::OperationPage/>
                    <Route path=path!("/monitoring") view=pages::monitoring::MonitoringPage/>
                    <Route path=path!("/monitoring/new") view=pages::monitor_form::NewMonitorJobPage/>
                    <Route path=path!("/monitoring/:id") view=pages::monitor_job::MonitorJobPage/>
                    <Route path=path!("/monitoring/:id/edit") view=pages::monitor_form::EditMonitorJobPage/>
                    <Route path=path!("/destinations") view=pages::destinations::DestinationsPage/>
                    <Route path=path!("/alerts") view=pages::alerts::AlertsPage/>
                    <Route path=path!("/groups") view=pages::groups::GroupsPage/>
                    <Route path=path!("/tags") view=pages::groups::TagsPage/>
                    <Route path=path!("/audit") view=pages::audit::AuditPage/>
                    <Route path=path!("/users") view=pages::users::UsersPage/>
                    <Route path=path!("/account/password") view=pages::account::PasswordPage/>
                </Routes>
            </Shell>
        </Router>
    }
}
