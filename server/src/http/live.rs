//! Server-sent events: tells browsers when read models changed so open pages refetch.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::WatchStream;

use super::auth::ApiUser;
use crate::backend::AppState;

pub async fn stream(
    State(state): State<Arc<AppState>>,
    _user: ApiUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // WatchStream yields the current value first, then every change; bursts coalesce.
    let changes = WatchStream::new(state.hub.subscribe_version())
        .map(|v| Ok(Event::default().event("change").data(format!("{{\"version\":{v}}}"))));
    Sse::new(changes).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
