//! The System page: identity, uptime and where the data lives.

use crate::api::get_system_status;
use crate::components::ErrorMsg;
use domain::timefmt::format_duration_s;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SystemPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_status());
    view! {
        <Title text="System"/>
        <h1>"System"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) => Either::Left(view! {
                        <dl class="card facts">
                            <dt>"MCU name"</dt><dd data-testid="system-name">{s.info.name}</dd>
                            <dt>"Model"</dt><dd>{s.info.model.label()}</dd>
                            <dt>"Software version"</dt><dd>{s.info.version}</dd>
                            <dt>"Uptime"</dt><dd>{format_duration_s(s.uptime_s)}</dd>
                            <dt>"Data folder"</dt><dd class="path">{s.data_dir}</dd>
                            <dt>"Users"</dt><dd>{s.users}</dd>
                            <dt>"Changes logged"</dt><dd>{s.change_log_seq}</dd>
                        </dl>
                    }),
                    Err(e) => Either::Right(view! { <ErrorMsg error=e/> }),
                }
            })}
        </Transition>
    }
}
