//! `/login`: a plain HTML form posted to `/auth/login`; it works before (and without) hydration.

use leptos::prelude::*;

use crate::components::query::query_param;
use crate::components::title::PageTitle;

fn error_message(code: &str) -> Option<&'static str> {
    match code {
        "" => None,
        "invalid" => Some("Wrong username or password."),
        "locked" => Some("Too many failed attempts. Wait a minute, then try again."),
        "disabled" => Some("This account is disabled. Ask an administrator to enable it."),
        "expired" => Some("Your session expired. Please sign in again."),
        _ => Some("Sign-in failed. Please try again."),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let error = query_param("error");
    let next = query_param("next");
    view! {
        <PageTitle text="Sign in"/>
        <div class="login-wrap">
            <form class="card login-card" method="post" action="/auth/login" id="login-form">
                <div class="login-brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <h1>"NetLedger"</h1>
                </div>
                <p class="muted">"Sign in to manage your network inventory."</p>
                {move || {
                    error_message(&error.get())
                        .map(|m| {
                            view! {
                                <div
                                    class="alert alert-error"
                                    role="alert"
                                    data-testid="login-error"
                                    data-error=error.get()
                                >
                                    {m}
                                </div>
                            }
                        })
                }}
                <input type="hidden" name="next" value=move || next.get()/>
                <div class="field">
                    <label for="username">"Username"</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        autofocus
                    />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                </div>
                <button type="submit" id="sign-in" class="btn btn-primary btn-block">
                    "Sign in"
                </button>
            </form>
        </div>
    }
}
