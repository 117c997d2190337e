//! The HTML document, the page an address shows (see [`crate::nav`]), and the frame
//! (header, navigation, login guard) that every page but the login page sits in.

use crate::api::{get_shell, Logout, Shell};
use crate::live::HbLive;
use domain::hotbackup::{LiveRole, SyncStatus};
use crate::components::ErrorMsg;
use crate::pages::*;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use crate::nav::{Group, Page};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::state::set_page_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <link id="leptos" rel="stylesheet" href=stylesheet_href(&options)/>
                <Hydration options=options.clone()/>
                <RoutePreloads options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The stylesheet's address, `/pkg/<name>.<hash>.css`: the build's hash is in `hash.txt`
/// beside the server binary, read once (Leptos's `HashedStylesheet` reads the file for
/// every page, 2 % of a page's time). Without the file, the name without a hash.
fn stylesheet_href(options: &LeptosOptions) -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options.hash_files.then(|| build_hash(options, "css")).flatten();
        let name = match hash {
            Some(h) => format!("{}.{h}", options.output_name),
            None => options.output_name.to_string(),
        };
        format!("/{}/{name}.css", options.site_pkg_dir)
    })
    .clone()
}

/// The hash of the built file `kind` (`css`, `manifest`, `split`) in the build's
/// `hash.txt` beside the server binary.
fn build_hash(options: &LeptosOptions, kind: &str) -> Option<String> {
    let path = std::env::current_exe().ok()?.parent()?.join(options.hash_file.as_ref());
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let (file, hash) = line.split_once(':')?;
        (file.trim() == kind).then(|| hash.trim().to_string())
    })
}

/// Loads the app's module and WebAssembly and hydrates the page: what Leptos's
/// `HydrationScripts` does, with the built files' names worked out once (it reads
/// `hash.txt` again for every page: 10 system calls and 3 % of a page's time). The inline
/// script carries this answer's nonce (see [`crate::state::set_page_security_policy`]).
#[component]
fn Hydration(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let (js, wasm, start) = hydration_files(&options);
        let nonce = leptos::nonce::use_nonce();
        view! {
            <link rel="modulepreload" href=js crossorigin="anonymous"/>
            <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
            <script type="module" nonce=nonce>{start}</script>
        }
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = options;
    }
}

/// The app module's and the WebAssembly's addresses, and the script that starts them
/// (worked out once: the build does not change while the server runs).
#[cfg(feature = "ssr")]
fn hydration_files(options: &LeptosOptions) -> (&'static str, &'static str, &'static str) {
    static FILES: std::sync::OnceLock<(String, String, String)> = std::sync::OnceLock::new();
    let (js, wasm, start) = FILES.get_or_init(|| {
        let dir = format!("/{}", options.site_pkg_dir);
        let hashed = |kind: &str| options.hash_files.then(|| build_hash(options, kind)).flatten().map(|h| format!("{}.{h}", options.output_name));
        let js = format!("{dir}/{}.js", hashed("js").unwrap_or_else(|| options.output_name.to_string()));
        // Unhashed, the WebAssembly is `<name>_bg` unless the build named the output
        // (cargo-leptos does), as wasm-bindgen writes it.
        let wasm = match hashed("wasm") {
            Some(name) => name,
            None if option_env!("LEPTOS_OUTPUT_NAME").is_some() => options.output_name.to_string(),
            None => format!("{}_bg", options.output_name),
        };
        let wasm = format!("{dir}/{wasm}.wasm");
        // The module's default export loads the WebAssembly; `hydrate` then takes over
        // the server's HTML.
        let start = format!("import({js:?}).then(m => m.default({{module_or_path: {wasm:?}}}).then(() => m.hydrate()));");
        (js, wasm, start)
    });
    (js, wasm, start)
}

/// On a direct load of a page whose code is split off (see [`crate::nav::Group`]), its files are
/// fetched together with the main bundle instead of after it has started. Leptos would
/// add these links itself, but its hook does not find the split manifest here.
#[component]
fn RoutePreloads(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let files = Page::of(&crate::nav::path()).group().split_name().map(|group| split_files(&options, group)).unwrap_or_default();
        files
            .into_iter()
            .map(|href| {
                if href.ends_with(".js") {
                    view! { <link rel="modulepreload" href=href crossorigin="anonymous"/> }.into_any()
                } else {
                    view! { <link rel="preload" href=href r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/> }.into_any()
                }
            })
            .collect_view()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = options;
    }
}

/// The addresses of the split loader and of every module the group `prefix` needs, from
/// the build's split manifest (read once; none without it).
#[cfg(feature = "ssr")]
fn split_files(options: &LeptosOptions, prefix: &str) -> Vec<String> {
    use std::collections::HashMap;
    /// The split loader's address, and each group's modules.
    type Manifest = (String, HashMap<String, Vec<String>>);
    static MANIFEST: std::sync::OnceLock<Option<Manifest>> = std::sync::OnceLock::new();
    let Some((loader, manifest)) = MANIFEST.get_or_init(|| {
        let name = |base: &str, kind: &str, ext: &str| match build_hash(options, kind) {
            Some(h) if options.hash_files => format!("{base}.{h}.{ext}"),
            _ => format!("{base}.{ext}"),
        };
        let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        let text = std::fs::read_to_string(dir.join(name("__wasm_split_manifest", "manifest", "json"))).ok()?;
        let manifest: HashMap<String, Vec<String>> = serde_json::from_str(&text).ok()?;
        Some((format!("/{}/{}", options.site_pkg_dir, name("__wasm_split", "split", "js")), manifest))
    }) else {
        return Vec::new();
    };
    let Some(modules) = manifest.iter().find(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v) else { return Vec::new() };
    std::iter::once(loader.clone()).chain(modules.iter().map(|m| format!("/{}/{m}.wasm", options.site_pkg_dir))).collect()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(crate::localtime::InBrowser(RwSignal::new(false)));
    let page = Page::of(&crate::nav::path());
    view! {
        <Title formatter=|t: String| if t.is_empty() { "MCU".to_string() } else { format!("{t} · MCU") }/>
        {match page {
            // Outside the frame; the not-found page is in the main module (no group).
            page if !page.needs_login() => Either::Left(page_view(page)),
            page => Either::Right(view! { <Frame page/> }),
        }}
    }
}

/// The view of `page` from its group's code, and after it [`Hydrated`] (added here once,
/// for every page). On the server every group is at hand; in the browser, the group of the
/// page being shown has been loaded before hydration ([`load_group`]).
fn page_view(page: Page) -> AnyView {
    #[cfg(not(feature = "hydrate"))]
    let pages = group_pages(page.group());
    #[cfg(feature = "hydrate")]
    let pages = LOADED.with(|l| l.get());
    let view = match pages {
        Some(pages) => pages(page),
        None => view! { <NotFound/> }.into_any(),
    };
    view! { {view}<Hydrated/> }.into_any()
}

/// A group's pages: the view of each of its pages.
type Pages = fn(Page) -> AnyView;

#[cfg(feature = "hydrate")]
thread_local! {
    /// The pages of the group loaded for the page being shown.
    static LOADED: std::cell::Cell<Option<Pages>> = const { std::cell::Cell::new(None) };
}

/// Each split group once: its `#[lazy]` loader, which returns the group's pages so their
/// code is reached only from there and lands in the group's module (`cargo leptos build
/// --split`; the loader's name starts the group's entry in the split manifest), and its
/// pages. Makes `Group::split_name`, the server's `group_pages` and the browser's
/// `load_group`.
macro_rules! split_groups {
    ($($group:ident => $loader:ident($pages:ident)),+ $(,)?) => {
        impl Group {
            /// The start of the group's name in the build's split manifest, if its code is
            /// split off.
            pub fn split_name(self) -> Option<&'static str> {
                match self {
                    Group::Main => None,
                    $(Group::$group => Some(concat!(stringify!($loader), "_")),)+
                }
            }
        }

        /// Each group's pages (on the server, where nothing is split).
        #[cfg(not(feature = "hydrate"))]
        fn group_pages(group: Group) -> Option<Pages> {
            match group {
                Group::Main => None,
                $(Group::$group => Some($pages),)+
            }
        }

        /// Loads the code of `group` (its split module), before the page hydrates.
        #[cfg(feature = "hydrate")]
        pub async fn load_group(group: Group) {
            let pages = match group {
                Group::Main => None,
                $(Group::$group => Some(split::$loader().await),)+
            };
            LOADED.with(|l| l.set(pages));
        }

        /// The split points.
        #[cfg(feature = "hydrate")]
        mod split {
            use super::*;

            $(
                #[lazy]
                pub fn $loader() -> Pages {
                    $pages
                }
            )+
        }
    };
}

split_groups! {
    Login => login_group(login_pages),
    Conferences => conferences_group(conferences_pages),
    Conference => conference_group(conference_pages),
    Resources => resources_group(resources_pages),
    Network => network_group(network_pages),
    HotBackup => hot_backup_group(hot_backup_pages),
    Users => users_group(users_pages),
}

fn login_pages(_: Page) -> AnyView {
    view! { <LoginPage/> }.into_any()
}

fn conferences_pages(page: Page) -> AnyView {
    match page {
        Page::ResourceReport => view! { <ResourceReportPage/> }.into_any(),
        Page::Overview => view! { <OverviewPage/> }.into_any(),
        _ => view! { <ConferencesPage/> }.into_any(),
    }
}

fn conference_pages(page: Page) -> AnyView {
    match page {
        Page::Conference(id) => view! { <ConferencePage id/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

fn resources_pages(page: Page) -> AnyView {
    match page {
        Page::Reservations => view! { <ReservationsPage/> }.into_any(),
        Page::MeetingRooms => view! { <MeetingRoomsPage/> }.into_any(),
        Page::Profiles => view! { <ProfilesPage/> }.into_any(),
        Page::EntryQueues => view! { <EntryQueuesPage/> }.into_any(),
        Page::IvrServices => view! { <IvrServicesPage/> }.into_any(),
        Page::RecordingLinks => view! { <RecordingLinksPage/> }.into_any(),
        Page::Templates => view! { <TemplatesPage/> }.into_any(),
        Page::AddressBook => view! { <AddressBookPage/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

fn network_pages(_: Page) -> AnyView {
    view! { <NetworkPage/> }.into_any()
}

fn hot_backup_pages(page: Page) -> AnyView {
    match page {
        Page::HotBackup => view! { <HotBackupPage/> }.into_any(),
        Page::Alarms => view! { <AlarmsPage/> }.into_any(),
        Page::System => view! { <SystemPage/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

fn users_pages(page: Page) -> AnyView {
    match page {
        Page::Users => view! { <UsersPage/> }.into_any(),
        Page::Audit => view! { <AuditPage/> }.into_any(),
        Page::History => view! { <HistoryPage/> }.into_any(),
        Page::Account => view! { <AccountPage/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

/// Marks the page hydrated (`data-hydrated` on the body: tests wait for it) and switches
/// times to the browser's zone, once the page itself has hydrated. [`page_view`] puts it
/// after every page.
#[component]
fn Hydrated() -> impl IntoView {
    let in_browser = use_context::<crate::localtime::InBrowser>();
    // Effects run only in the browser, after the view they belong to has hydrated.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        // Once: setting it again would wake times whose signals may be disposed.
        if let Some(b) = in_browser.filter(|b| !b.0.get_untracked()) {
            b.0.set(true);
            // The zone the next page's calendar counts days in.
            crate::localtime::remember_zone();
        }
    });
}

#[component]
fn Frame(page: Page) -> impl IntoView {
    // The Hot Backup page's panel comes with the first answer when that page is asked for.
    let full = page == Page::HotBackup;
    let shell = Resource::new(|| (), move |_| get_shell(full));
    let changes = RwSignal::new(0u64);
    let hb = HbLive { snap: RwSignal::new(None), full: RwSignal::new(full), ended: RwSignal::new(false) };
    provide_context(crate::live::LiveChanges(changes));
    provide_context(hb);
    // Browser only: one event stream for every page inside the frame.
    Effect::new(move |_| {
        // From the changes announced when the page was made: any announced since (while it
        // loaded and hydrated) reloads its data at once.
        let since = shell.with_untracked(|s| s.as_ref().and_then(|r| r.as_ref().ok()).map(|s| s.changes));
        #[cfg(feature = "hydrate")]
        crate::live::connect(changes, hb, since);
        #[cfg(not(feature = "hydrate"))]
        let _ = (changes, since);
    });
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <Transition fallback=|| view! { <header class="top"><span class="brand">"MCU"</span></header> }>
            // Not a closure: server-side rendering walks a Suspense's children more than
            // once (to find every resource they read) and would run a closure, and so create
            // the page with its resources, each time; this Suspend is made once.
            {Suspend::new(async move {
                match shell.await {
                    Ok(s) => Either::Left(frame_view(s, hb, page)),
                    Err(e) => Either::Right(view! { <header class="top"><ErrorMsg error=e/></header><Hydrated/> }),
                }
            })}
        </Transition>
    }
}

/// The header, the Slave's banner and the page. The page is rendered only once the shell
/// (who is logged in, the Hot Backup state) is known, so its read-only mode is right from
/// the first paint.
fn frame_view(s: Shell, hb: HbLive, page: Page) -> impl IntoView {
    let Some(user) = s.user else {
        // To the login page, and back here afterwards (the server answers with the redirect;
        // in the browser, only a session that ended meanwhile gets here).
        let next = format!("/login?next={}", crate::nav::path());
        #[cfg(feature = "ssr")]
        leptos_axum::redirect(&next);
        #[cfg(not(feature = "ssr"))]
        let _ = window().location().replace(&next);
        return Either::Left(());
    };
    if hb.snap.with_untracked(|l| l.is_none()) {
        hb.snap.set(s.live);
    }
    // Which MCU this tab is: "MCU-A · Master · Conferences" (the role follows a failover).
    let mcu = s.info.name.clone();
    let title_role = move || hb.snap.with(|l| l.as_ref().and_then(|l| l.badge().0));
    let title = move |t: String| match title_role() {
        Some(role) => format!("{mcu} · {role} · {t}"),
        None => format!("{mcu} · {t}"),
    };
    crate::live::provide_read_only(hb);
    provide_context(crate::components::CurrentUser(user.clone()));
    provide_context(crate::components::Simulation(s.simulate));
    provide_context(crate::components::ListStates::default());
    let (menu_open, set_menu_open) = signal(false);
    let logout = ServerAction::<Logout>::new();
    let here = crate::nav::path();
    // The menu: each section's pages this user may see, in the table's order.
    let groups = crate::nav::Section::ALL
        .iter()
        .filter_map(|section| {
            let items: Vec<(&'static str, &'static str)> = crate::nav::ROUTES
                .iter()
                .filter_map(|r| r.menu.filter(|m| m.section == *section && user.role.can(m.needs)).map(|m| (m.label, r.path)))
                .collect();
            (!items.is_empty()).then_some((section.title(), items))
        })
        .map(|(group, items)| {
            // The group is marked when one of its pages is shown.
            let paths: Vec<&'static str> = items.iter().map(|(_, h)| *h).collect();
            let links = items
                .into_iter()
                .map(|(label, href)| {
                    let current = crate::nav::is_current(&here, href).then_some("page");
                    view! { <li><a href=href aria-current=current on:click=move |_| set_menu_open.set(false)>{label}</a></li> }
                })
                .collect_view();
            match group {
                None => Either::Left(links),
                Some(name) => {
                    let current = paths.iter().any(|p| crate::nav::is_current(&here, p));
                    let open = RwSignal::new(false);
                    let id = format!("nav-{}", name.to_lowercase());
                    Either::Right(view! {
                        <li class="group" class:current=current on:focusout=move |ev| close_when_focus_leaves(ev, open)
                            on:click=move |ev| close_after_link(ev, open)>
                            <button type="button" class="group-toggle" aria-expanded=move || open.get().to_string() aria-controls=id.clone()
                                on:click=move |_| open.update(|o| *o = !*o)>{name}</button>
                            <ul id=id class="submenu" class:open=move || open.get()>{links}</ul>
                        </li>
                    })
                }
            }
        })
        .collect_view();
    let menu_for_phone = move |_| set_menu_open.update(|o| *o = !*o);
    Either::Right(view! {
        <Title formatter=title/>
        <header class="top">
            <div class="brand">
                <span class="mcu-name">{s.info.name.clone()}</span>
                <span class="mcu-meta">{format!("{} · v{}", s.info.model.label(), s.info.version)}</span>
            </div>
            <HbBadge hb=hb/>
            <AlarmIndicator hb=hb/>
            <LoadIndicator hb=hb/>
            <button
                type="button"
                class="menu-toggle"
                aria-controls="nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=menu_for_phone
            >
                "Menu"
            </button>
            <nav id="nav" aria-label="Main" class:open=move || menu_open.get()>
                <ul class="menu">{groups}</ul>
                <div class="who">
                    <a class="user" href="/account" title="Your password">{user.name.clone()}" "<small>"("{user.role.label()}")"</small></a>
                    <ActionForm action=logout>
                        <button type="submit" class="link">"Log out"</button>
                    </ActionForm>
                </div>
            </nav>
        </header>
        <MirrorBanner hb=hb/>
        <SessionEnded hb=hb/>
        <main id="main" tabindex="-1">
            {match page.needs().filter(|p| !user.role.can(*p)) {
                // A page the role may not open shows none of its controls (the server
                // refuses its calls anyway).
                Some(p) => Either::Left(not_allowed(user.role, p)),
                None => Either::Right(crate::page_once::PageOnce(page_view(page))),
            }}
        </main>
    })
}

/// A menu group folds when the focus leaves it (a click elsewhere, Tab past its end)...
fn close_when_focus_leaves(ev: leptos::ev::FocusEvent, open: RwSignal<bool>) {
    use leptos::wasm_bindgen::JsCast;
    let group = ev.current_target().and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok());
    let to = ev.related_target().and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok());
    if let (Some(group), to) = (group, to) {
        if !group.contains(to.as_ref()) {
            open.set(false);
        }
    }
}

/// ...and once one of its pages was chosen.
fn close_after_link(ev: leptos::ev::MouseEvent, open: RwSignal<bool>) {
    use leptos::wasm_bindgen::JsCast;
    if ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok()).is_some_and(|e| e.tag_name().eq_ignore_ascii_case("a")) {
        open.set(false);
    }
}


/// The Hot Backup role badge, from the shared live state.
#[component]
fn HbBadge(hb: HbLive) -> impl IntoView {
    let snap = hb.snap;
    let parts = move || snap.with(|l| l.as_ref().map(|l| l.badge()).unwrap_or((None, String::new())));
    let class = move || {
        snap.with(|l| match l.as_ref().map(|l| (l.status.role, l.status.sync_status)) {
            Some((LiveRole::Standalone, _)) | None => "badge hb-badge",
            Some((_, SyncStatus::Ok)) => "badge hb-badge sync-ok",
            Some((_, SyncStatus::Fail)) => "badge hb-badge sync-fail",
            Some(_) => "badge hb-badge sync-attempting",
        })
    };
    // The role in its own colour (Master and Slave never look alike), then the sync.
    let body = move || {
        let (role, sync) = parts();
        let chip = role.map(|r| view! { <span class=format!("hb-role hb-{}", r.to_lowercase())>{r}</span>" · " });
        view! { {chip}<span class="hb-sync">{sync}</span> }
    };
    view! { <a href="/hot-backup" class=class title="Hot Backup role and Sync Status" data-testid="hb-badge">{body}</a> }
}

/// The number of active alarms nobody has acknowledged (or, when all are, of active ones),
/// coloured by the worst; a link to the Alarms page. Nothing while none is active.
#[component]
fn AlarmIndicator(hb: HbLive) -> impl IntoView {
    use domain::alarms::Severity;
    move || {
        let c = hb.snap.with(|l| l.as_ref().map(|l| l.alarms))?;
        if c.active == 0 {
            return None;
        }
        let (text, class) = match c.worst_unacknowledged {
            Some(s) => (
                format!("{} alarm{}", c.unacknowledged, if c.unacknowledged == 1 { "" } else { "s" }),
                match s {
                    Severity::Critical => "badge alarm-badge sev-critical",
                    Severity::Major => "badge alarm-badge sev-major",
                    Severity::Minor | Severity::Warning => "badge alarm-badge sev-minor",
                },
            ),
            None => (format!("{} active, acknowledged", c.active), "badge alarm-badge acked"),
        };
        let title = format!("{} active alarm(s), {} not acknowledged", c.active, c.unacknowledged);
        Some(view! { <a href="/alarms" class=class title=title data-testid="alarm-badge">{text}</a> })
    }
}

/// The ports in use out of the MCU's capacity (a gauge, as on the original's status bar)
/// and the participant alerts (callers awaiting an operator, faulty connections), which
/// link to the list of those participants. Nothing for a role that does not see conferences.
#[component]
fn LoadIndicator(hb: HbLive) -> impl IntoView {
    move || {
        let l = hb.snap.with(|l| l.as_ref().and_then(|l| l.load))?;
        let alerts = (l.participant_alerts > 0).then(|| {
            let n = l.participant_alerts;
            view! {
                <a href="/conferences?alerts=1" class="badge participant-alerts" data-testid="participant-alerts"
                    title="Participants awaiting operator assistance or with a faulty connection">
                    {format!("{n} participant alert{}", if n == 1 { "" } else { "s" })}
                </a>
            }
        });
        let all_full = l.used.total() >= l.totals.total();
        let gauges = l
            .by_type()
            .map(|(kind, used, total)| port_gauge(kind, used, total, l.totals.voice > 0))
            .collect_view();
        Some(view! {
            <a href="/resource-report" class=if all_full { "badge ports ports-full" } else { "badge ports" } data-testid="ports">{gauges}</a>
            {alerts}
        })
    }
}

/// One type's gauge: a native meter (no inline style: the page's Content-Security-Policy
/// allows none), amber from 80 % (the port alarm's default threshold).
fn port_gauge(kind: &'static str, used: u32, total: u32, named: bool) -> impl IntoView {
    let label = format!("{kind} ports in use: {used} of {total}");
    let title = label.clone();
    let high = (f64::from(total) * 0.8).to_string();
    let text = if named { format!("{kind} {used}/{total}") } else { format!("{used}/{total}") };
    view! {
        <span class="gauge" title=title>
            <meter min="0" max=total.to_string() value=used.to_string() high=high optimum="0" aria-label=label></meter>
            {text}
        </span>
    }
}

/// On a Slave, above every page: its synced state is a read-only mirror, changed on the
/// Master (a link to the same page there).
#[component]
fn MirrorBanner(hb: HbLive) -> impl IntoView {
    let (path, query) = (crate::nav::path(), crate::nav::query());
    let query = if query.is_empty() { query } else { format!("?{query}") };
    move || {
        let l = hb.snap.get().filter(|l| l.read_only())?;
        let href = l.master_url.clone().map(|u| format!("{u}{path}{query}"));
        Some(view! {
            <div class="mirror-banner" role="status" data-testid="mirror-banner">
                <span>"Read-only mirror of "<strong>{l.master_name()}</strong>" — make changes there."</span>
                {href.map(|h| view! { <a href=h>"Open this page on the Master"</a> })}
            </div>
        })
    }
}

/// Above every page once the session has ended with the page still open (its idle limit
/// passed, a logout in another tab, the user changed or deleted): nothing on the page works
/// any more, so it says so and offers the login, back to this page.
#[component]
fn SessionEnded(hb: HbLive) -> impl IntoView {
    let (path, query) = (crate::nav::path(), crate::nav::query());
    let here = if query.is_empty() { path } else { format!("{path}?{query}") };
    let login = format!("/login?next={}", crate::components::query_value(&here));
    move || {
        hb.ended.get().then(|| {
            view! {
                <div class="session-ended" role="alert" data-testid="session-ended">
                    <span>"Your session has ended: it was not used for too long, or you logged out elsewhere."</span>
                    <a href=login.clone()>"Log in again"</a>
                </div>
            }
        })
    }
}

/// In place of a page this user's role may not open.
fn not_allowed(role: domain::Role, p: domain::Permission) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Not allowed"/>
        <h1>"Not allowed"</h1>
        <p class="error" role="alert">{role.refusal(p)}</p>
        <p><a href="/">"Go to the overview"</a></p>
        <Hydrated/>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to the overview"</a></p>
        </main>
    }
}
