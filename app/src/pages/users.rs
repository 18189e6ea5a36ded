//! `/users` (admins): the user list with role changes, and invitations.

use std::str::FromStr;

use domain::identity::Role;
use leptos::prelude::*;

use crate::api::{change_role, invite_user, list_users};
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::{copy_to_clipboard, focus};
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::use_current_user;
use crate::error::AppError;
use crate::model::{Invitation, UserRow};

fn role_help(r: Role) -> &'static str {
    match r {
        Role::Admin => "everything, including users",
        Role::Engineer => "inventory changes and audit",
        Role::Viewer => "read the inventory",
        Role::Auditor => "read the inventory and the audit trail",
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let live = use_live();
    let users = Resource::new(move || live.get(), |_| list_users());
    let invitation = RwSignal::new(None::<Invitation>);
    view! {
        <PageTitle text="Users"/>
        <section class="page" data-testid="users-page">
            <Breadcrumbs items=crumbs(&[("Users", None)])/>
            <div class="page-head">
                <h1>"Users"</h1>
            </div>
            <div class="grid-2 grid-wide-left">
                <section class="panel">
                    <h2>"Accounts"</h2>
                    <Transition fallback=|| view! { <Loading/> }>
                        {move || Suspend::new(async move {
                            match users.await {
                                Ok(list) if list.is_empty() => view! { <EmptyState title="No users"/> }.into_any(),
                                Ok(list) => view! { <UsersTable list/> }.into_any(),
                                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            }
                        })}
                    </Transition>
                </section>
                <section class="panel">
                    <h2>"Invite a user"</h2>
                    <InviteForm invitation/>
                    {move || invitation.get().map(|inv| view! { <InvitationBox inv invitation/> })}
                </section>
            </div>
        </section>
    }
}

#[component]
fn UsersTable(list: Vec<UserRow>) -> impl IntoView {
    let toasts = use_toasts();
    let live = use_live();
    let me = use_current_user();
    let change = Action::new(move |(username, role): &(String, Role)| {
        let (username, role) = (username.clone(), *role);
        async move {
            match change_role(username.clone(), role).await {
                Ok(()) => toasts.success(format!("{username} is now {role}")),
                Err(e) => toasts.error(format!("{username}: {e}")),
            }
            // Refresh either way: on failure this puts the select back.
            live.update(|n| *n += 1);
        }
    });
    let my_name = move || me.get().and_then(Result::ok).flatten().map(|u| u.username).unwrap_or_default();
    view! {
        <div class="table-wrap">
            <table class="table" id="users-table">
                <thead>
                    <tr>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Display name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last sign-in"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|u| {
                            let username = u.username.clone();
                            let select_id = format!("role-{}", u.username);
                            let is_me = {
                                let username = username.clone();
                                move || my_name() == username
                            };
                            view! {
                                <tr data-username=u.username.clone() data-role=u.role.as_str()>
                                    <td class="mono">
                                        {u.username.clone()}
                                        {move || is_me().then(|| view! { <span class="badge">"you"</span> })}
                                    </td>
                                    <td>{u.display_name.clone()}</td>
                                    <td>
                                        <label for=select_id.clone() class="sr-only">
                                            {format!("Role of {}", u.username)}
                                        </label>
                                        <select
                                            id=select_id
                                            class="role-select"
                                            data-username=u.username.clone()
                                            on:change=move |ev| {
                                                if let Ok(role) = Role::from_str(&event_target_value(&ev)) {
                                                    change.dispatch((username.clone(), role));
                                                }
                                            }
                                        >
                                            {Role::ALL
                                                .into_iter()
                                                .map(|r| {
                                                    view! {
                                                        <option value=r.as_str() selected=r == u.role>
                                                            {r.as_str()}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                    </td>
                                    <td>
                                        {u.disabled.then(|| view! { <span class="badge status status-decommissioned">"disabled"</span> })}
                                        {u.must_change_password
                                            .then(|| view! { <span class="badge status status-warn" title="Must change password at next sign-in">"must change password"</span> })}
                                        {(!u.disabled && !u.must_change_password).then(|| view! { <span class="badge status status-active">"active"</span> })}
                                    </td>
                                    <td class="nowrap">
                                        <Time at=u.created_at short=true/>
                                    </td>
                                    <td class="nowrap">
                                        {match u.last_sign_in_at {
                                            Some(t) => view! { <Time at=t short=true/> }.into_any(),
                                            None => view! { <span class="muted">"never"</span> }.into_any(),
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn InviteForm(invitation: RwSignal<Option<Invitation>>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let error = RwSignal::new(None::<AppError>);
    let toasts = use_toasts();
    let live = use_live();
    let invite = Action::new(move |(u, d, r): &(String, String, Role)| {
        let (u, d, r) = (u.clone(), d.clone(), *r);
        async move {
            match invite_user(u, d, r).await {
                Ok(inv) => {
                    toasts.success(format!("Invited {}", inv.username));
                    invitation.set(Some(inv));
                    username.set(String::new());
                    display_name.set(String::new());
                    error.set(None);
                    live.update(|n| *n += 1);
                }
                Err(e) => {
                    toasts.error(e.to_string());
                    error.set(Some(e));
                }
            }
        }
    });
    let pending = invite.pending();
    let field_error = move |f: &'static str| {
        Signal::derive(move || {
            error.with(|e| e.as_ref().and_then(|e| e.field_errors()).and_then(|fe| fe.get(f).map(str::to_owned)))
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let u = username.get_untracked().trim().to_owned();
        if u.is_empty() {
            error.set(Some(AppError::Invalid({
                let mut e = domain::FieldErrors::default();
                e.push("username", "is required");
                e
            })));
            focus("invite-username");
            return;
        }
        invite.dispatch((u, display_name.get_untracked().trim().to_owned(), role.get_untracked()));
    };
    view! {
        <form class="form" id="invite-form" on:submit=on_submit novalidate>
            {move || error.get().filter(|e| e.field_errors().is_none()).map(|e| view! { <ErrorBox error=e/> })}
            <Field label="Username" id="invite-username" error=field_error("username") required=true hint="lowercase letters, digits, . _ -">
                <input
                    id="invite-username"
                    name="username"
                    type="text"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
            </Field>
            <Field label="Display name" id="invite-display-name" error=field_error("display_name")>
                <input
                    id="invite-display-name"
                    name="display_name"
                    type="text"
                    autocomplete="off"
                    prop:value=move || display_name.get()
                    on:input=move |ev| display_name.set(event_target_value(&ev))
                />
            </Field>
            <Field label="Role" id="invite-role" error=field_error("role")>
                <select
                    id="invite-role"
                    name="role"
                    on:change=move |ev| {
                        if let Ok(r) = Role::from_str(&event_target_value(&ev)) {
                            role.set(r);
                        }
                    }
                >
                    {Role::ALL
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.as_str() selected=r == Role::Viewer>
                                    {format!("{} — {}", r.as_str(), role_help(r))}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </Field>
            <div class="form-actions">
                <button type="submit" id="invite-submit" class="btn btn-primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Inviting…" } else { "Invite" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn InvitationBox(inv: Invitation, invitation: RwSignal<Option<Invitation>>) -> impl IntoView {
    let toasts = use_toasts();
    let password = inv.initial_password.clone();
    view! {
        <div class="invitation alert alert-warn" id="invitation" role="status">
            <p>
                "One-time password for " <strong>{inv.username.clone()}</strong>
                ". It is shown only once: hand it over securely now. They must change it at first sign-in."
            </p>
            <div class="copy-box">
                <code id="one-time-password" class="mono">{inv.initial_password.clone()}</code>
                <button
                    type="button"
                    class="btn btn-small"
                    id="copy-password"
                    on:click=move |_| {
                        copy_to_clipboard(&password);
                        toasts.success("Copied to the clipboard");
                    }
                >
                    "Copy"
                </button>
            </div>
            <button type="button" class="btn btn-small btn-ghost" id="dismiss-invitation" on:click=move |_| invitation.set(None)>
                "I have saved it — hide"
            </button>
        </div>
    }
}
