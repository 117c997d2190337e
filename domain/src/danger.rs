//! What a destructive action would do, said before it runs: Trigger Failover, Disable Hot
//! Backup and Reset MCU are confirmed in a dialog that names the consequence in this MCU's
//! figures now, and by typing the MCU's name ([`crate::validate::typed_mcu_name`]);
//! Terminate and every Delete in a dialog that names what goes.

use serde::{Deserialize, Serialize};

/// What is going on at this MCU now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ongoing {
    /// Ongoing conferences (an entry queue's holding place is none).
    pub conferences: u64,
    /// Participants whose call is up (they hold a port).
    pub participants: u32,
    pub reservations: u64,
}

fn calls(o: Ongoing) -> String {
    match (o.participants, o.conferences) {
        (0, 0) => "No conference is running".into(),
        (0, c) => format!("{c} conference(s) are running with nobody connected"),
        (p, c) => format!("{p} participant(s) in {c} conference(s)"),
    }
}

impl Ongoing {
    /// Trigger Failover on the Master `mcu`, paired with `peer`.
    pub fn failover(self, mcu: &str, peer: &str) -> String {
        let who = calls(self);
        let redial = if self.participants > 0 { format!("{who} are called again from {peer} (Redialing): their call drops for a few seconds.") } else { format!("{who}.") };
        format!("{peer} becomes the Master and {mcu} its Slave; {mcu} refuses changes from then on. {redial}")
    }

    /// Disable Hot Backup on `mcu`, now the Master (`is_master`) or the Slave of `peer`.
    pub fn disable(self, mcu: &str, peer: &str, is_master: bool) -> String {
        if is_master {
            format!("{peer} stops mirroring {mcu} and will not take over if {mcu} fails; disable it on {peer} too. The conferences here go on.")
        } else {
            format!(
                "{mcu} stops mirroring {peer}. G6: the {} ongoing conference(s) and {} reservation(s) backed up on {mcu} are deleted; {peer} keeps its own.",
                self.conferences, self.reservations
            )
        }
    }

    /// Reset MCU on `mcu` (it restarts and applies the pending settings).
    pub fn reset(self, mcu: &str) -> String {
        let who = calls(self);
        if self.participants > 0 {
            format!("{mcu} restarts and applies the settings waiting for a reset. {who} lose their call until it is back (a few seconds).")
        } else {
            format!("{mcu} restarts and applies the settings waiting for a reset. {who}; the pages reconnect when it is back.")
        }
    }
}

/// Terminate Conference: `name` ends now with `connected` participants in the call.
pub fn terminate(name: &str, connected: usize) -> String {
    let who = match connected {
        0 => "Nobody is connected".to_string(),
        n => format!("Its {n} connected participant(s) are disconnected"),
    };
    format!("'{name}' ends now. {who}; it goes to the Call History.")
}

/// Deleting a mirrored record: the `what` (profile, meeting room, reservation...) `name`.
pub fn delete_record(what: &str, name: &str) -> String {
    format!("The {what} '{name}' is deleted, on the Slave too while the pair is on. This cannot be undone.")
}

/// Deleting the user `name` of this MCU (users are each MCU's own, G2).
pub fn delete_user(name: &str) -> String {
    format!("'{name}' can no longer log in to this MCU and their open sessions end. Delete them on the paired MCU too (G2).")
}

/// Deleting the participant `name` (`address`) from the conference `conference`.
pub fn delete_participant(name: &str, address: &str, conference: &str) -> String {
    format!("'{name}' ({address}) is disconnected and removed from '{conference}'. To have them back, add or call them again.")
}

/// Deleting the `n` selected participants of the conference `conference`.
pub fn delete_selected(n: usize, conference: &str) -> String {
    format!("{n} participant(s) are disconnected and removed from '{conference}'. To have them back, add or call them again.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialog_names_what_happens_in_this_mcus_figures() {
        let busy = Ongoing { conferences: 4, participants: 37, reservations: 2 };
        let f = busy.failover("MCU-A", "MCU-B");
        assert!(f.starts_with("MCU-B becomes the Master") && f.contains("37 participant(s) in 4 conference(s) are called again from MCU-B"), "{f}");
        assert!(Ongoing::default().failover("MCU-A", "MCU-B").contains("No conference is running."));
        let d = busy.disable("MCU-B", "MCU-A", false);
        assert!(d.contains("G6: the 4 ongoing conference(s) and 2 reservation(s) backed up on MCU-B are deleted"), "{d}");
        assert!(busy.disable("MCU-A", "MCU-B", true).contains("will not take over"));
        assert!(busy.reset("MCU-A").contains("37 participant(s) in 4 conference(s) lose their call"));
        assert_eq!(terminate("Weekly", 3), "'Weekly' ends now. Its 3 connected participant(s) are disconnected; it goes to the Call History.");
        assert!(delete_record("profile", "HD").starts_with("The profile 'HD' is deleted"));
        assert!(delete_user("op1").contains("their open sessions end"));
        assert!(delete_selected(2, "Weekly").starts_with("2 participant(s) are disconnected and removed from 'Weekly'"));
        assert!(delete_participant("Bob", "10.0.0.1", "Weekly").starts_with("'Bob' (10.0.0.1) is disconnected and removed from 'Weekly'"));
    }
}
