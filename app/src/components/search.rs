//! The global search box in the top bar (`/` focuses it).

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::browser::{active_element_id, focus};
use crate::api::global_search;

#[component]
pub fn GlobalSearch() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let debounced = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let hits = LocalResource::new(move || {
        let q = debounced.get();
        async move {
            if q.trim().chars().count() < 2 {
                Ok(Vec::new())
            } else {
                global_search(q.trim().to_owned()).await
            }
        }
    });
    let navigate = use_navigate();

    let on_input = move |ev| {
        let v = event_target_value(&ev);
        text.set(v.clone());
        open.set(true);
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(move || debounced.set(v), Duration::from_millis(200)).ok();
        timer.set_value(h);
    };
    let close = move || {
        open.set(false);
        text.set(String::new());
        debounced.set(String::new());
    };
    let on_key = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
            "Escape" => {
                close();
                focus("main");
            }
            "ArrowDown" => {
                ev.prevent_default();
                focus("search-hit-0");
            }
            "Enter" => {
                ev.prevent_default();
                let first = hits.get().and_then(|r| r.ok()).and_then(|h| h.into_iter().next());
                if let Some(hit) = first {
                    close();
                    navigate(&hit.href, leptos_router::NavigateOptions::default());
                }
            }
            _ => {}
        }
    };
    let on_focusout = move |_| {
        set_timeout(
            move || {
                let inside =
                    active_element_id().is_some_and(|id| id == "global-search" || id.starts_with("search-hit-"));
                if !inside {
                    open.set(false);
                }
            },
            Duration::from_millis(150),
        );
    };
    let on_hit_key = move |ev: leptos::ev::KeyboardEvent, i: usize| match ev.key().as_str() {
        "ArrowDown" => {
            ev.prevent_default();
            focus(&format!("search-hit-{}", i + 1));
        }
        "ArrowUp" => {
            ev.prevent_default();
            if i == 0 {
                focus("global-search")
            } else {
                focus(&format!("search-hit-{}", i - 1))
            }
        }
        "Escape" => {
            close();
            focus("global-search");
        }
        _ => {}
    };

    view! {
        <div class="search" on:focusout=on_focusout role="search">
            <label for="global-search" class="sr-only">
                "Search"
            </label>
            <input
                id="global-search"
                type="search"
                autocomplete="off"
                placeholder="Search…  /"
                aria-controls="search-results"
                aria-keyshortcuts="/"
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_key
                on:focus=move |_| open.set(true)
            />
            <Show when=move || open.get() && debounced.with(|q| q.trim().chars().count() >= 2)>
                <div class="search-results" id="search-results" data-testid="search-results">
                    {move || match hits.get() {
                        None => view! { <p class="muted pad">"Searching…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error-text pad">{e.to_string()}</p> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => {
                            view! { <p class="muted pad">"No matches"</p> }.into_any()
                        }
                        Some(Ok(list)) => {
                            view! {
                                <ul>
                                    {list
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, hit)| {
                                            view! {
                                                <li>
                                                    <a
                                                        id=format!("search-hit-{i}")
                                                        href=hit.href
                                                        on:click=move |_| close()
                                                        on:keydown=move |ev| on_hit_key(ev, i)
                                                    >
                                                        <span class="kind">{hit.kind}</span>
                                                        <span class="label">{hit.label}</span>
                                                        <span class="detail muted">{hit.detail}</span>
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </Show>
        </div>
    }
}
