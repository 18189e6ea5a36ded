//! The notification centre in the top bar: a bell with the number of unacknowledged open alerts
//! and a dropdown of the newest ones. Keyboard: Enter/Space opens, arrows move, Escape closes.

use std::time::Duration;

use leptos::prelude::*;

use super::browser::{active_element_id, focus};
use super::live::use_live;
use super::time::Time;
use crate::monitoring::api::get_alert_counts;
use crate::pages::alerts::{alert_value, metric_label, subject_href};

/// Alerts come from the collector, not from user actions: a slow poll under the live stream.
const POLL: Duration = Duration::from_secs(15);

#[component]
pub fn NotificationBell() -> impl IntoView {
    let live = use_live();
    let tick = RwSignal::new(0_u64);
    let open = RwSignal::new(false);
    // Browser-only: the shell hydrates before the live stream's first refresh, and a server-rendered
    // count inside the shell could be re-fetched mid-hydration (a hydration panic). The bell shows
    // its count a moment after load instead.
    let counts = LocalResource::new(move || {
        live.track();
        tick.track();
        get_alert_counts()
    });

    let poll = StoredValue::new(None::<IntervalHandle>);
    Effect::new(move |_| {
        if poll.get_value().is_none() {
            poll.set_value(set_interval_with_handle(move || tick.update(|n| *n += 1), POLL).ok());
        }
    });
    on_cleanup(move || {
        if let Some(h) = poll.try_get_value().flatten() {
            h.clear();
        }
    });

    let close = move |refocus: bool| {
        open.set(false);
        if refocus {
            focus("notif-button");
        }
    };
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            request_animation_frame(|| focus("notif-item-0"));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" if open.get_untracked() => {
            ev.prevent_default();
            close(true);
        }
        "ArrowDown" | "ArrowUp" => {
            if !open.get_untracked() {
                return;
            }
            ev.prevent_default();
            let current =
                active_element_id().and_then(|id| id.strip_prefix("notif-item-").and_then(|n| n.parse::<usize>().ok()));
            let next = match (ev.key().as_str(), current) {
                ("ArrowDown", Some(i)) => i + 1,
                ("ArrowUp", Some(i)) if i > 0 => i - 1,
                _ => 0,
            };
            focus(&format!("notif-item-{next}"));
        }
        _ => {}
    };
    let on_focusout = move |_| {
        set_timeout(
            move || {
                let inside = active_element_id()
                    .is_some_and(|id| id == "notif-button" || id == "notif-all" || id.starts_with("notif-item-"));
                if !inside {
                    open.set(false);
                }
            },
            Duration::from_millis(150),
        );
    };

    let count = move || counts.get().and_then(Result::ok).map_or(0, |c| c.unacknowledged);
    view! {
        <div class="notif" on:keydown=on_key on:focusout=on_focusout data-testid="notifications">
            <button
                type="button"
                id="notif-button"
                class="icon-btn notif-button"
                aria-haspopup="true"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="notif-panel"
                aria-label=move || format!("Alerts: {} unacknowledged", count())
                title="Alerts"
                on:click=toggle
            >
                // Drawn, not an emoji: servers and kiosks often lack an emoji font.
                <svg class="notif-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                    <path d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6z"></path>
                    <path d="M9.5 19a2.5 2.5 0 0 0 5 0z"></path>
                </svg>
                {move || {
                    let n = count();
                    (n > 0)
                        .then(|| {
                            view! {
                                <span class="notif-count" id="notif-count" data-count=n>
                                    {if n > 99 { "99+".to_owned() } else { n.to_string() }}
                                </span>
                            }
                        })
                }}
            </button>
            <Show when=move || open.get()>
                <div class="notif-panel" id="notif-panel" role="region" aria-label="Latest alerts">
                    <p class="menu-head">
                        {move || counts.get().and_then(Result::ok).map(|c| format!("{} open, {} unacknowledged", c.open, c.unacknowledged))}
                    </p>
                    {move || match counts.get() {
                        None => view! { <p class="muted pad">"Loading…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error-text pad">{e.to_string()}</p> }.into_any(),
                        Some(Ok(c)) if c.latest.is_empty() => view! { <p class="muted pad">"No open alerts."</p> }.into_any(),
                        Some(Ok(c)) => {
                            view! {
                                <ul class="notif-list">
                                    {c
                                        .latest
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, a)| {
                                            let acked = a.acknowledged_by.is_some();
                                            view! {
                                                <li class:acked=acked>
                                                    <a id=format!("notif-item-{i}") href=subject_href(&a) on:click=move |_| open.set(false)>
                                                        <span class="notif-subject">{a.subject_label.clone()}</span>
                                                        <span class="small">{format!("{} {}", metric_label(&a.metric), alert_value(&a))}</span>
                                                        <span class="small muted"><Time at=a.raised_at short=true/>{acked.then_some(" · acknowledged")}</span>
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
                    <a href="/alerts" id="notif-all" class="menu-item" on:click=move |_| open.set(false)>
                        "All alerts →"
                    </a>
                </div>
            </Show>
        </div>
    }
}
