//! The signed-in user, loaded once per page load and shared through context.

use domain::identity::Permission;
use leptos::prelude::*;

use crate::api::whoami;
use crate::error::AppError;
use crate::model::CurrentUser;

pub type UserResource = Resource<Result<Option<CurrentUser>, AppError>>;

#[derive(Debug, Clone, Copy)]
pub struct CurrentUserCtx(pub UserResource);

/// Loaded once per page load: not keyed on live updates, so the nav and the permission-gated
/// parts of pages do not re-render on every change. Call `refetch()` after changing oneself.
pub fn provide_current_user() {
    let user = Resource::new(|| (), |()| whoami());
    provide_context(CurrentUserCtx(user));
}

pub fn use_current_user() -> UserResource {
    expect_context::<CurrentUserCtx>().0
}

/// Renders `children` only when the signed-in user's role grants `perm` (the server enforces it anyway).
#[component]
pub fn IfCan(perm: Permission, children: ChildrenFn) -> impl IntoView {
    let user = use_current_user();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let allowed = matches!(user.await, Ok(Some(u)) if u.role.can(perm));
                    allowed.then(|| children())
                })
            }}
        </Transition>
    }
}
