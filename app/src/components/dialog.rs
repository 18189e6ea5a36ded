//! A modal that asks for a reason before a consequential action (decommission, restore).

use leptos::prelude::*;

use super::browser::focus;

#[component]
pub fn ReasonDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm_label: String,
    #[prop(optional)] danger: bool,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: Callback<String>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if open.get() {
            reason.set(String::new());
            error.set(None);
            request_animation_frame(|| focus("dialog-reason"));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = reason.get_untracked().trim().to_owned();
        if r.is_empty() {
            error.set(Some("a reason is required".into()));
            focus("dialog-reason");
            return;
        }
        on_confirm.run(r);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| open.set(false)></div>
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="dialog-title"
                on:keydown=on_key
                data-testid="reason-dialog"
            >
                <form on:submit=submit novalidate>
                    <h2 id="dialog-title">{title.clone()}</h2>
                    <p>{message.clone()}</p>
                    <div class="field" class:has-error=move || error.with(Option::is_some)>
                        <label for="dialog-reason">
                            "Reason" <span class="req">" *"</span>
                        </label>
                        <input
                            id="dialog-reason"
                            name="reason"
                            type="text"
                            required
                            autocomplete="off"
                            placeholder="e.g. replaced by edge-2 (CHG-1234)"
                            prop:value=move || reason.get()
                            on:input=move |ev| {
                                reason.set(event_target_value(&ev));
                                error.set(None);
                            }
                        />
                        {move || error.get().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                    <div class="modal-actions">
                        <button type="button" class="btn" on:click=move |_| open.set(false)>
                            "Cancel"
                        </button>
                        <button
                            type="submit"
                            id="dialog-confirm"
                            class="btn"
                            class:btn-danger=danger
                            class:btn-primary=!danger
                            disabled=move || pending.get()
                        >
                            {confirm_label.clone()}
                        </button>
                    </div>
                </form>
            </div>
        </Show>
    }
}
