//! Small browser-only helpers; all are no-ops on the server.

/// Key under which the chosen theme is stored.
#[cfg(feature = "hydrate")]
const THEME_KEY: &str = "netledger-theme";

#[cfg(feature = "hydrate")]
fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

/// Tells browser tests that hydration finished.
pub fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    if let Some(body) = document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Applies the theme saved in `localStorage`; without one, CSS follows `prefers-color-scheme`.
pub fn apply_saved_theme() {
    #[cfg(feature = "hydrate")]
    if let (Some(theme), Some(root)) =
        (storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()), document().and_then(|d| d.document_element()))
    {
        if theme == "dark" || theme == "light" {
            let _ = root.set_attribute("data-theme", &theme);
        }
    }
}

/// Flips between light and dark and remembers the choice.
pub fn toggle_theme() {
    #[cfg(feature = "hydrate")]
    {
        let Some(root) = document().and_then(|d| d.document_element()) else {
            return;
        };
        let current = root.get_attribute("data-theme").unwrap_or_else(|| {
            let dark = web_sys::window()
                .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
                .is_some_and(|m| m.matches());
            if dark {
                "dark".into()
            } else {
                "light".into()
            }
        });
        let next = if current == "dark" { "light" } else { "dark" };
        let _ = root.set_attribute("data-theme", next);
        if let Some(s) = storage() {
            let _ = s.set_item(THEME_KEY, next);
        }
    }
}

/// Focuses an element by id.
pub fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) =
            document().and_then(|d| d.get_element_by_id(id)).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Global keyboard shortcuts: `/` focuses the search box.
pub fn install_shortcuts() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::window_event_listener;
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let typing = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.has_attribute("contenteditable")
            });
            if !typing {
                ev.prevent_default();
                focus("global-search");
            }
        });
        // The listener lives as long as the page.
        std::mem::forget(handle);
    }
}

/// Copies text to the clipboard (best effort).
pub fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// The id of the focused element, if it has one.
pub fn active_element_id() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        document().and_then(|d| d.active_element()).map(|e| e.id()).filter(|id| !id.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}
