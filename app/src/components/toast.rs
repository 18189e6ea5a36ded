//! Transient notifications in the corner of the screen.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}

impl Toasts {
    pub fn new() -> Self {
        Self { list: RwSignal::new(Vec::new()), next: StoredValue::new(0) }
    }

    pub fn push(&self, kind: ToastKind, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| l.push(Toast { id, kind, text: text.into() }));
        let list = self.list;
        let ttl = if kind == ToastKind::Error { 8 } else { 4 };
        set_timeout(move || list.update(|l| l.retain(|t| t.id != id)), Duration::from_secs(ttl));
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(ToastKind::Success, text);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(ToastKind::Error, text);
    }

    pub fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_default()
}

#[component]
pub fn ToastArea() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" aria-live="polite" aria-atomic="false" data-testid="toasts">
            <For each=move || toasts.list.get() key=|t| t.id let:t>
                <div
                    class="toast"
                    class:toast-success=t.kind == ToastKind::Success
                    class:toast-error=t.kind == ToastKind::Error
                    class:toast-info=t.kind == ToastKind::Info
                    role=if t.kind == ToastKind::Error { "alert" } else { "status" }
                >
                    <span class="toast-text">{t.text.clone()}</span>
                    <button
                        type="button"
                        class="toast-close"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(t.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
