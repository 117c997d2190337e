//! Which page an address shows, and the address itself, without a client-side router.
//!
//! Every page is a document of its own: a link loads it from the server (rendered in a few
//! milliseconds) and the browser hydrates it. The WASM then
//! needs no router (about a sixth of the main module, with its lazy-route code more). The page's code comes from one
//! of the split groups ([`Group`]), fetched before the page hydrates (see `lib.rs`) and
//! preloaded with the main module on every load (`app::RoutePreloads`).

/// A page of the app, by its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Login,
    /// The start page a login opens.
    Overview,
    Conferences,
    /// One conference (the address's last segment, as given).
    Conference(String),
    Reservations,
    MeetingRooms,
    Profiles,
    EntryQueues,
    IvrServices,
    RecordingLinks,
    Templates,
    AddressBook,
    Network,
    HotBackup,
    Alarms,
    ResourceReport,
    System,
    Users,
    Audit,
    History,
    /// The logged-in user's own page (their password).
    Account,
    NotFound,
}

/// The pages whose code is loaded together (one split module each, plus the chunks they
/// share). The bytes a page loads decide its time on a slow phone, and so does the number
/// of files: the split makes a module for each set of groups sharing code. Measured cold
/// on the throttled phone profile, seven groups beat five (the list: 2.5 s against 2.8 s)
/// and eight (2.7 s; the list then needs 47 files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// In the main module: the not-found page (the frame is always there).
    Main,
    Login,
    Conferences,
    Conference,
    Resources,
    Network,
    HotBackup,
    Users,
}

/// Where a page sits in the menu, as an RMX administrator knows it: the daily pages first,
/// then the conferencing resources and the MCU's setup, folded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Daily,
    Resources,
    Setup,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Daily, Section::Resources, Section::Setup];

    /// The folded group's title (none: its links stand in the menu itself).
    pub fn title(self) -> Option<&'static str> {
        match self {
            Section::Daily => None,
            Section::Resources => Some("Resources"),
            Section::Setup => Some("Setup"),
        }
    }
}

/// A page's menu entry: its section, its label, and what a user must be allowed to see it.
#[derive(Clone, Copy, Debug)]
pub struct MenuEntry {
    pub section: Section,
    pub label: &'static str,
    pub needs: domain::Permission,
}

/// A page with an address of its own.
pub struct Route {
    pub path: &'static str,
    pub page: Page,
    /// Its code's split group.
    pub group: Group,
    /// Shown inside the frame, which asks for a login; the login page is not.
    pub login: bool,
    pub menu: Option<MenuEntry>,
}

const fn route(path: &'static str, page: Page, group: Group, menu: Option<(Section, &'static str, domain::Permission)>) -> Route {
    let menu = match menu {
        Some((section, label, needs)) => Some(MenuEntry { section, label, needs }),
        None => None,
    };
    Route { path, page, group, login: true, menu }
}

/// The one table of pages: the server's routes, `Page::of`, each page's group (and so its
/// preloads) and the menu (in this order) all come from it.
pub static ROUTES: [Route; 21] = {
    use domain::Permission::*;
    use Section::*;
    [
        Route { path: "/login", page: Page::Login, group: Group::Login, login: false, menu: None },
        // The start page, which a login opens: the day at a glance.
        route("/", Page::Overview, Group::Conferences, Some((Daily, "Overview", ViewConferences))),
        route("/conferences", Page::Conferences, Group::Conferences, Some((Daily, "Conferences", ViewConferences))),
        route("/reservations", Page::Reservations, Group::Resources, Some((Daily, "Reservations", ViewResources))),
        route("/meeting-rooms", Page::MeetingRooms, Group::Resources, Some((Daily, "Meeting Rooms", ViewResources))),
        route("/resource-report", Page::ResourceReport, Group::Conferences, Some((Daily, "Resource Report", ViewConferences))),
        route("/profiles", Page::Profiles, Group::Resources, Some((Resources, "Profiles", ViewResources))),
        route("/entry-queues", Page::EntryQueues, Group::Resources, Some((Resources, "Entry Queues", ViewResources))),
        route("/ivr-services", Page::IvrServices, Group::Resources, Some((Resources, "IVR Services", ViewResources))),
        route("/recording-links", Page::RecordingLinks, Group::Resources, Some((Resources, "Recording Links", ViewResources))),
        route("/templates", Page::Templates, Group::Resources, Some((Resources, "Templates", ViewResources))),
        route("/address-book", Page::AddressBook, Group::Resources, Some((Resources, "Address Book", ViewResources))),
        route("/network", Page::Network, Group::Network, Some((Setup, "Network", ViewConfiguration))),
        route("/hot-backup", Page::HotBackup, Group::HotBackup, Some((Setup, "Hot Backup", ViewConfiguration))),
        route("/users", Page::Users, Group::Users, Some((Setup, "Users", ViewUsers))),
        route("/system", Page::System, Group::HotBackup, Some((Setup, "System", ViewConfiguration))),
        route("/alarms", Page::Alarms, Group::HotBackup, Some((Setup, "Alarms", ViewConfiguration))),
        route("/history", Page::History, Group::Users, Some((Setup, "Call History", ViewConfiguration))),
        route("/audit", Page::Audit, Group::Users, Some((Setup, "Audit Trail", ViewAudit))),
        // Every user's own page: no menu entry (the user's name in the header links to it).
        route("/account", Page::Account, Group::Users, None),
        // One conference is `/conferences/<id>`.
        route("/conferences/{id}", Page::Conference(String::new()), Group::Conference, None),
    ]
};

/// The addresses with a page of their own (axum's syntax), for the server's routes.
pub fn page_routes() -> impl Iterator<Item = &'static str> {
    ROUTES.iter().map(|r| r.path)
}

impl Page {
    /// The page at `path` (the address without its query).
    pub fn of(path: &str) -> Page {
        if let Some(r) = ROUTES.iter().find(|r| r.path == path && !matches!(r.page, Page::Conference(_))) {
            return r.page.clone();
        }
        match path.strip_prefix("/conferences/") {
            Some(id) if !id.is_empty() && !id.contains('/') => Page::Conference(id.to_string()),
            _ => Page::NotFound,
        }
    }

    fn route(&self) -> Option<&'static Route> {
        ROUTES.iter().find(|r| std::mem::discriminant(&r.page) == std::mem::discriminant(self))
    }

    pub fn group(&self) -> Group {
        self.route().map_or(Group::Main, |r| r.group)
    }

    /// What a user must be allowed to open it (its menu entry's permission; none for a
    /// page without one: every role sees conferences).
    pub fn needs(&self) -> Option<domain::Permission> {
        self.route().and_then(|r| r.menu).map(|m| m.needs)
    }

    /// Shown inside the frame, which asks for a login (all but the login and not-found pages).
    pub fn needs_login(&self) -> bool {
        self.route().is_some_and(|r| r.login)
    }
}

/// The path of the address being shown: the request's on the server, the window's in the
/// browser.
pub fn path() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<axum::http::request::Parts>().map(|p| p.uri.path().to_string()).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::window().location().pathname().unwrap_or_default()
    }
}

/// The query of the address being shown, without the `?`.
pub fn query() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|p| p.uri.query().map(str::to_string))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let search = leptos::prelude::window().location().search().unwrap_or_default();
        search.strip_prefix('?').unwrap_or(&search).to_string()
    }
}

/// The value of `name` in the query of the address being shown (decoded; the first if
/// several), if there is one.
pub fn query_value(name: &str) -> Option<String> {
    value_in(&query(), name)
}

/// The value of `name` in the query string `query` (without its `?`).
fn value_in(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Whether a menu link to `href` is the page shown at `path` (or a page below it).
pub fn is_current(path: &str, href: &str) -> bool {
    path == href || path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_finds_its_page_and_group() {
        assert_eq!(Page::of("/"), Page::Overview);
        assert_eq!(Page::of("/conferences"), Page::Conferences);
        assert_eq!(Page::of("/conferences/"), Page::NotFound);
        assert_eq!(Page::of("/conferences/4f2c"), Page::Conference("4f2c".into()));
        assert_eq!(Page::of("/conferences/4f2c/x"), Page::NotFound);
        assert_eq!(Page::of("/users/"), Page::NotFound);
        assert_eq!(Page::of("/alarms").group(), Group::HotBackup);
        assert_eq!(Page::of("/history").group(), Group::Users);
        assert_eq!(Page::of("/no-such-page"), Page::NotFound);
        assert_eq!(Page::of("//"), Page::NotFound);
        // Every route the server serves names a page, and only the not-found page is in the
        // main module.
        for route in page_routes() {
            let page = Page::of(&route.replace("{id}", "7"));
            assert_ne!(page, Page::NotFound, "{route}");
            assert!(page.group().split_name().is_some(), "{route}");
        }
        assert!(!Page::Login.needs_login() && !Page::NotFound.needs_login());
        assert!(Page::of("/conferences/7").needs_login() && Page::of("/audit").needs_login());
        assert_eq!(Page::of("/audit").needs(), Some(domain::Permission::ViewAudit));
        assert_eq!(Page::of("/conferences/7").needs(), None);
        assert_eq!(Group::Main.split_name(), None);
        // The start of the `#[lazy]` loader's name, as the split manifest names its module.
        assert_eq!(Group::HotBackup.split_name(), Some("hot_backup_group_"));
    }

    #[test]
    fn query_values_are_decoded_and_menu_links_marked() {
        assert_eq!(value_in("next=%2Fusers%3Fa%3D1&x=2", "next").as_deref(), Some("/users?a=1"));
        assert_eq!(value_in("text=a+b&text=c", "text").as_deref(), Some("a b"));
        assert_eq!(value_in("", "next"), None);
        assert!(is_current("/conferences/4", "/conferences"));
        assert!(is_current("/users", "/users"));
        assert!(!is_current("/users-x", "/users"));
    }
}
