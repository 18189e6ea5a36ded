//! Live updates: the server's SSE stream bumps one signal that every list and detail resource reads.

use leptos::prelude::*;

/// Incremented whenever the server reports that the read models changed.
#[derive(Debug, Clone, Copy)]
pub struct Live(pub RwSignal<u64>);

pub fn provide_live() -> RwSignal<u64> {
    let live = RwSignal::new(0_u64);
    provide_context(Live(live));
    live
}

/// The live version counter; put `.get()` in every resource source that should refetch on changes.
pub fn use_live() -> RwSignal<u64> {
    use_context::<Live>().map_or_else(|| RwSignal::new(0), |l| l.0)
}

/// Opens the `EventSource` once (browser only). Reconnection is the browser's job.
#[cfg(feature = "hydrate")]
pub fn connect(live: RwSignal<u64>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    // Signed-out pages have no stream (the server would refuse it).
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    if path.starts_with("/login") {
        return;
    }
    let Ok(source) = web_sys::EventSource::new("/api/v1/live") else {
        return;
    };
    let mut last: Option<i64> = None;
    let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let version = ev
            .data()
            .as_string()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_i64));
        // The first message after (re)connecting also refreshes: changes may have happened meanwhile.
        if version.is_none() || version != last {
            last = version;
            live.update(|n| *n += 1);
        }
    });
    let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    on_change.forget();
}

#[cfg(not(feature = "hydrate"))]
pub fn connect(_live: RwSignal<u64>) {}
