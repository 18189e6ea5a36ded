//! `/account/password`: change one's own password.

use domain::identity::check_password_policy;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::change_password;
use crate::components::alert::{ErrorBox, Loading};
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::browser::focus;
use crate::components::field::Field;
use crate::components::live::use_live;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::use_current_user;
use crate::error::AppError;

#[component]
pub fn PasswordPage() -> impl IntoView {
    let user = use_current_user();
    view! {
        <PageTitle text="Change password"/>
        <section class="page narrow" data-testid="password-page">
            <Breadcrumbs items=crumbs(&[("Account", None), ("Change password", None)])/>
            <div class="page-head">
                <h1>"Change password"</h1>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => {
                            view! { <PasswordForm username=u.username must_change=u.must_change_password/> }.into_any()
                        }
                        Ok(None) => view! { <ErrorBox error=AppError::Unauthenticated/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PasswordForm(username: String, must_change: bool) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let user = use_current_user();
    let toasts = use_toasts();
    let live = use_live();
    let navigate = use_navigate();

    let field_error = move |f: &'static str| {
        server_error.with(|e| e.as_ref().and_then(AppError::field_errors).and_then(|fe| fe.get(f).map(str::to_owned)))
    };
    let current_error = Signal::derive(move || {
        field_error("current").or_else(|| {
            (submitted.get() && current.with(String::is_empty)).then(|| "enter your current password".to_owned())
        })
    });
    let new_error = Signal::derive(move || {
        field_error("new").or_else(|| {
            let n = new.get();
            (submitted.get() || !n.is_empty())
                .then(|| check_password_policy(&username, &n).err().map(|e| e.to_string()))
                .flatten()
        })
    });
    let confirm_error = Signal::derive(move || {
        let c = confirm.get();
        ((submitted.get() || !c.is_empty()) && c != new.get()).then(|| "does not match the new password".to_owned())
    });

    let save = Action::new(move |(c, n): &(String, String)| {
        let (c, n) = (c.clone(), n.clone());
        async move { change_password(c, n).await }
    });
    let pending = save.pending();
    // `autofocus` only applies on page load; this also covers client-side navigation.
    Effect::new(move |_| focus("current-password"));
    Effect::new(move |_| {
        let Some(result) = save.value().get() else { return };
        match result {
            Ok(()) => {
                toasts.success("Password changed");
                user.refetch();
                live.update(|n| *n += 1);
                navigate("/", NavigateOptions::default());
            }
            Err(e) => {
                toasts.error(e.to_string());
                if matches!(&e, AppError::Invalid(_) | AppError::Rejected(_)) {
                    focus("current-password");
                }
                server_error.set(Some(e));
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        server_error.set(None);
        for (id, err) in
            [("current-password", current_error), ("new-password", new_error), ("confirm-password", confirm_error)]
        {
            if err.get_untracked().is_some() {
                focus(id);
                return;
            }
        }
        save.dispatch((current.get_untracked(), new.get_untracked()));
    };

    view! {
        {must_change
            .then(|| {
                view! {
                    <div class="alert alert-warn" role="status" id="must-change-notice">
                        "Choose a new password before you continue."
                    </div>
                }
            })}
        <form class="form card" id="password-form" on:submit=on_submit novalidate>
            {move || server_error.get().filter(|e| e.field_errors().is_none()).map(|e| view! { <ErrorBox error=e/> })}
            <Field label="Current password" id="current-password" error=current_error required=true>
                <input
                    id="current-password"
                    name="current"
                    type="password"
                    autocomplete="current-password"
                    autofocus
                    prop:value=move || current.get()
                    on:input=move |ev| current.set(event_target_value(&ev))
                />
            </Field>
            <Field
                label="New password"
                id="new-password"
                error=new_error
                required=true
                hint="At least 12 characters; not a common password; not containing your username."
            >
                <input
                    id="new-password"
                    name="new"
                    type="password"
                    autocomplete="new-password"
                    prop:value=move || new.get()
                    on:input=move |ev| new.set(event_target_value(&ev))
                />
            </Field>
            <Field label="Confirm new password" id="confirm-password" error=confirm_error required=true>
                <input
                    id="confirm-password"
                    name="confirm"
                    type="password"
                    autocomplete="new-password"
                    prop:value=move || confirm.get()
                    on:input=move |ev| confirm.set(event_target_value(&ev))
                />
            </Field>
            <div class="form-actions">
                <button type="submit" id="change-password" class="btn btn-primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Saving…" } else { "Change password" }}
                </button>
                {(!must_change).then(|| view! { <a href="/" class="btn btn-ghost">"Cancel"</a> })}
            </div>
        </form>
    }
}
