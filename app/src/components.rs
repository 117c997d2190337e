//! Small shared pieces of the pages.

use crate::error::AppError;
use leptos::prelude::*;

/// An error above a form or in place of a list, announced to screen readers.
#[component]
pub fn ErrorMsg(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The result of a form's last submission that is not about one field: an error, or the
/// server's confirmation text.
#[component]
pub fn FormStatus(#[prop(into)] result: Signal<Option<Result<String, AppError>>>) -> impl IntoView {
    move || match result.get() {
        Some(Err(e)) if !e.is_field_error() || e.for_field("").is_some() => {
            Some(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any())
        }
        Some(Ok(msg)) => Some(view! { <p class="ok" role="status">{msg}</p> }.into_any()),
        _ => None,
    }
}

/// The message for one field from the last submission, shown under the input and tied to
/// it with `aria-describedby` (the input uses the id `{id}-error`).
#[component]
pub fn FieldError<T: Clone + Send + Sync + 'static>(
    #[prop(into)] id: String,
    field: &'static str,
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let msg = move || result.get().and_then(|r| r.err()).and_then(|e| e.for_field(field));
    view! {
        <span class="field-error" id=format!("{id}-error") role="alert">{msg}</span>
    }
}

/// Whether the last submission failed on `field` (for `aria-invalid`).
pub fn invalid<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || {
        if result.get().and_then(|r| r.err()).and_then(|e| e.for_field(field)).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

/// Counts the successful answers of a form's action. Pages key their data on this rather
/// than on the action's version, so a refused submission does not rebuild the form and
/// the user keeps what they typed.
pub fn count_ok(result: Signal<Option<Result<String, AppError>>>) -> ReadSignal<u32> {
    let (n, set_n) = signal(0u32);
    Effect::new(move |_| {
        if matches!(result.get(), Some(Ok(_))) {
            set_n.update(|n| *n = n.wrapping_add(1));
        }
    });
    n
}

/// A click handler for a destructive button: asks `msg` first and cancels the submission
/// unless the user confirms. (Before the WASM has loaded the form posts without asking.)
pub fn confirm_click(msg: impl Into<String>) -> impl Fn(leptos::ev::MouseEvent) + 'static {
    let msg = msg.into();
    move |ev| {
        if !window().confirm_with_message(&msg).unwrap_or(false) {
            ev.prevent_default();
        }
    }
}
