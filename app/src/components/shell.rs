//! The app frame: top navigation, user menu, theme toggle and toasts.

use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::browser::toggle_theme;
use super::notifications::NotificationBell;
use super::search::GlobalSearch;
use super::toast::ToastArea;
use super::user::{use_current_user, IfCan};

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let location = use_location();
    let bare = move || location.pathname.with(|p| p.starts_with("/login"));
    view! {
        <div id="app" class="app">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Show when=move || !bare()>
                <TopNav/>
            </Show>
            <main id="main" class="main" tabindex="-1">
                {children()}
            </main>
            <ToastArea/>
        </div>
    }
}

#[component]
fn TopNav() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "NetLedger"
            </a>
            <nav class="mainnav" aria-label="Main">
                <A href="/" exact=true>
                    "Dashboard"
                </A>
                <A href="/devices">"Inventory"</A>
                <A href="/groups">"Groups"</A>
                <A href="/tags">"Tags"</A>
                <IfCan perm=Permission::ReadInventory>
                    <A href="/operations">"Operations"</A>
                </IfCan>
                <IfCan perm=Permission::ReadInventory>
                    <A href="/monitoring">"Monitoring"</A>
                    <A href="/destinations">"Destinations"</A>
                    <A href="/alerts">"Alerts"</A>
                </IfCan>
                <IfCan perm=Permission::ReadAudit>
                    <A href="/audit">"Audit trail"</A>
                </IfCan>
                <IfCan perm=Permission::ManageUsers>
                    <A href="/users">"Users"</A>
                </IfCan>
            </nav>
            <div class="topbar-right">
                <GlobalSearch/>
                <IfCan perm=Permission::ReadInventory>
                    <NotificationBell/>
                </IfCan>
                <button
                    type="button"
                    id="theme-toggle"
                    class="icon-btn"
                    title="Toggle light/dark theme"
                    aria-label="Toggle light/dark theme"
                    on:click=move |_| toggle_theme()
                >
                    "◐"
                </button>
                <UserMenu/>
            </div>
        </header>
    }
}

#[component]
fn UserMenu() -> impl IntoView {
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <span class="usermenu-placeholder"></span> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => {
                        let role = u.role.as_str();
                        view! {
                            <details class="usermenu" data-testid="user-menu">
                                <summary>
                                    <span class="avatar" aria-hidden="true">
                                        {u.display_name.chars().next().unwrap_or('?').to_uppercase().to_string()}
                                    </span>
                                    <span class="usermenu-name">{u.display_name.clone()}</span>
                                    <span class=format!("badge role role-{role}") data-testid="role-badge">
                                        {role}
                                    </span>
                                </summary>
                                <div class="menu">
                                    <p class="menu-head">
                                        "Signed in as " <strong>{u.username.clone()}</strong>
                                    </p>
                                    <a href="/account/password" class="menu-item">
                                        "Change password"
                                    </a>
                                    <form method="post" action="/auth/logout" class="menu-form">
                                        <button type="submit" id="sign-out" class="menu-item">
                                            "Sign out"
                                        </button>
                                    </form>
                                </div>
                            </details>
                        }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <a href="/login" rel="external" class="btn btn-small">
                                "Sign in"
                            </a>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
