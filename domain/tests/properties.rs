//! Bad input at scale: every parser of user input and of the peer protocol, fed generated
//! input, must answer with a value or a field error — never panic — and what it accepts
//! must be what it promises. `PROPTEST_CASES` sets the number of cases per property
//! (`make fuzz` runs 100,000 each; `make test` the default 256).

use domain::hotbackup::{Heartbeat, LogBatch, PairChallenge, PairFinish, PairStart, PeerFacts};
use domain::{conference, network, resources, schedule, timefmt, validate, DomainError, Protocol};
use proptest::prelude::*;

/// Text that looks like form input: printable ASCII, digits, separators, some Unicode and
/// control characters.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "[0-9.:a-fA-F]{0,45}",
        "[0-9]{0,12}",
        "[a-z0-9@.:_+-]{0,30}",
        ".{0,20}",
        "[\\x00-\\x1f\\u{80}-\\u{10ffff}]{0,8}",
    ]
}

fn field_of<T>(r: &Result<T, DomainError>) -> Option<&'static str> {
    match r {
        Err(DomainError::Invalid { field, .. }) => Some(field),
        // Several wrong fields: each must be a real field of the form; the first stands for them.
        Err(DomainError::Fields(all)) if !all.is_empty() && all.iter().all(|(f, _)| !f.is_empty()) => all.first().map(|(f, _)| *f),
        _ => None,
    }
}

proptest! {
    #[test]
    fn addresses_and_names_never_panic_and_accept_only_what_they_promise(s in input()) {
        if let Ok(ip) = validate::ip_address("a", &s, true) {
            prop_assert!(ip.is_empty() || ip.parse::<std::net::IpAddr>().is_ok());
        }
        if let Ok(h) = validate::host_name("h", &s) {
            prop_assert!(h.len() <= 253 && h.split('.').all(|l| !l.is_empty() && l.len() <= 63));
        }
        for p in [Protocol::H323, Protocol::Sip] {
            if let Ok(a) = conference::participant_address(p, &s) {
                prop_assert!(!a.is_empty() && !a.chars().any(char::is_whitespace));
            }
        }
        if let Ok(n) = conference::display_name("name", &s) {
            prop_assert!(!n.is_empty() && n.chars().count() <= 80);
        }
        if let Ok(id) = conference::numeric_id(&s) {
            prop_assert!(!id.is_empty() && id.len() <= 8 && id.bytes().all(|b| b.is_ascii_digit()));
        }
        let _ = validate::user_name(&s);
        let _ = validate::mcu_name(&s);
        let _ = validate::role(&s);
        let _ = domain::hotbackup::peer_address(&s);
        let _ = resources::numeric_password("conference_password", &s);
        let _ = resources::recording_link("x".into(), "Rec", &s);
        let _ = network::server_address("primary", &s, true);
    }

    #[test]
    fn port_ranges_are_in_range_and_ordered_when_accepted(a in input(), b in input(), c in "[0-9]{1,6}", d in "[0-9]{1,6}", on: bool, calls in 0u32..500) {
        for (tf, tl, uf, ul) in [(&a, &b, &c, &d), (&c, &d, &a, &b), (&c, &d, &c, &d)] {
            let r = network::fixed_ports(on, tf, tl, uf, ul, calls);
            match &r {
                Ok(f) => {
                    prop_assert!(f.tcp_first >= 1024 && f.tcp_first <= f.tcp_last && f.udp_first >= 1024 && f.udp_first <= f.udp_last);
                    if on {
                        prop_assert!(u32::from(f.udp_last - f.udp_first) + 1 >= 8 * calls);
                    }
                }
                Err(_) => prop_assert!(field_of(&r).is_some_and(|f| ["tcp_first", "tcp_last", "udp_first", "udp_last"].contains(&f))),
            }
        }
    }

    #[test]
    fn qos_values_stay_in_their_range(kind in prop_oneof![Just("precedence".to_string()), Just("diffserv".to_string()), input()], a in input(), v in "(0x)?[0-9a-fA-F]{0,3}", on: bool) {
        let r = network::qos(on, &kind, &a, &v);
        if let Ok(q) = &r {
            let max = if q.kind == domain::QosType::Precedence { 5 } else { 63 };
            prop_assert!(q.audio <= max && q.video <= max);
        } else {
            prop_assert!(field_of(&r).is_some());
        }
        let _ = network::gatekeeper(on, &a, &v, &a, &v);
        let _ = network::sip_servers(&a, &v, &kind);
        let _ = network::dns(&a, &v);
        let _ = network::credential("sip_user", "sip_password", &a, &v, "old");
    }

    #[test]
    fn times_durations_and_reservations_never_panic(s in input(), y in 1900i64..2200, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62) {
        let typed = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}");
        for t in [s.as_str(), typed.as_str()] {
            if let Some(ms) = timefmt::parse_utc(t) {
                // What parses prints back to the same time.
                prop_assert_eq!(timefmt::parse_utc(&timefmt::input_value(ms)), Some(ms));
            }
        }
        if let Ok(m) = schedule::duration_min(&s) {
            prop_assert!((1..=schedule::MAX_DURATION_MIN).contains(&m));
        }
        if let Ok(ps) = schedule::defined_participants(&s) {
            prop_assert!(ps.len() <= schedule::MAX_DEFINED_PARTICIPANTS);
        }
        let profiles = [domain::resources::profile("p".into(), "HD", "1920", "hd720", "auto", false, false, "", &[]).expect("profile")];
        let short: String = s.chars().take(12).collect();
        let short = short.as_str();
        for kind in ["none", "daily", "weekly", "monthly", short] {
            let form = schedule::ReservationForm {
                name: "Series",
                numeric_id: "",
                profile_id: "p",
                start: &typed,
                start_date: short,
                start_time: short,
                tz_offset_min: short,
                duration: "1:00",
                recurrence: kind,
                every: short,
                weekdays: [true, false, true, false, false, true, false],
                monthly: if s.len() % 2 == 0 { "nth" } else { "day" },
                month_day: short,
                nth: short,
                nth_weekday: short,
                end: if s.len() % 3 == 0 { "by" } else { "after" },
                occurrences: short,
                end_by: short,
                participants: &s,
                ..Default::default()
            };
            // Whatever is accepted is a series that ends: never more occurrences than the limit.
            if let Ok(mut r) = schedule::reservation("r".into(), &form, "1000", &profiles, 0) {
                let mut n = 1;
                while let Some(next) = schedule::next_occurrence(&r) {
                    prop_assert!(next.start_ms > r.start_ms, "occurrences move forward");
                    r = next;
                    n += 1;
                    prop_assert!(n <= domain::recurrence::MAX_OCCURRENCES);
                }
            }
        }
    }

    #[test]
    fn peer_messages_from_arbitrary_bytes_are_refused_not_panicked_on(bytes in proptest::collection::vec(any::<u8>(), 0..300), s in input()) {
        let text = String::from_utf8_lossy(&bytes);
        for t in [text.as_ref(), s.as_str()] {
            let _ = serde_json::from_str::<LogBatch>(t);
            let _ = serde_json::from_str::<Heartbeat>(t);
            let _ = serde_json::from_str::<PeerFacts>(t);
            let _ = serde_json::from_str::<PairStart>(t);
            let _ = serde_json::from_str::<PairFinish>(t);
            let _ = serde_json::from_str::<PairChallenge>(t);
            let _ = serde_json::from_str::<domain::Change>(t);
        }
        let _ = serde_json::from_slice::<LogBatch>(&bytes);
    }

    #[test]
    fn a_change_that_decodes_encodes_back_the_same(name in input(), id in "[0-9]{1,8}", start in 0i64..4_000_000_000_000, end in proptest::option::of(0i64..4_000_000_000_000)) {
        let c = domain::Conference { id: "x".into(), name, numeric_id: id, profile_id: String::new(), start_ms: start, end_ms: end, source_id: None, locked: false, auto_extended: 0, owner: String::new(), chairperson_password: String::new(), conference_password: String::new(), entry_queue: false, recording: Default::default() };
        let change = domain::Change::Put { record: domain::Record::Conference(c) };
        let json = serde_json::to_string(&change).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: domain::Change = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, change);
    }
}
