//! The MCU's ports by type, as the original counts them: video ports and voice ports (the
//! Video/Voice Port Configuration on CS 2000/4000; a fixed number of video ports on the
//! others). A call that is up holds one port ([`ParticipantState::holds_port`]): a call on
//! audio only (Partially Connected) a voice port while one is free, any other a video
//! port. A new call gets video while a video port is free, else it connects on audio only
//! to a free voice port, else it is refused — as the original does when video runs out.

use crate::model::*;
use crate::DomainError;

/// Ports of each type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ports {
    pub video: u32,
    pub voice: u32,
}

impl Ports {
    pub fn total(self) -> u32 {
        self.video.saturating_add(self.voice)
    }
}

/// This MCU's ports (this product's simulated figures for the fixed models).
pub fn totals(model: McuModel, config: &PortConfiguration) -> Ports {
    match model {
        McuModel::Cs2000 | McuModel::Cs4000 => Ports { video: config.video_ports, voice: config.voice_ports },
        McuModel::Cs1800 => Ports { video: 60, voice: 0 },
        McuModel::VirtualEdition => Ports { video: 40, voice: 0 },
    }
}

/// The ports in use, from the calls that hold one (`holding`) and how many of those are
/// on audio only.
pub fn in_use(holding: u32, audio_only: u32, totals: Ports) -> Ports {
    let voice = audio_only.min(totals.voice).min(holding);
    Ports { video: holding - voice, voice }
}

/// (ports in use, ports) by type, from the store's load ([`crate::store::Store::load`]).
pub fn of_load(model: McuModel, load: &Load) -> (Ports, Ports) {
    let totals = totals(model, &load.ports);
    (in_use(load.ports_in_use, load.audio_only, totals), totals)
}

/// How `n` new calls connect, in order: with video while video ports are free, then on
/// audio only while voice ports are, all of them or none (the message says what is free).
pub fn connect(n: usize, used: Ports, totals: Ports) -> Result<Vec<ParticipantState>, DomainError> {
    let video_free = totals.video.saturating_sub(used.video) as usize;
    let voice_free = totals.voice.saturating_sub(used.voice) as usize;
    crate::conference::check_ports(used.total(), n, totals.total())?;
    if n > video_free + voice_free {
        // Ports held beyond a type's share (a configuration changed at a reset) count too.
        return Err(DomainError::Conflict(format!(
            "The {n} calls need {n} ports, but only {} video and {} voice ports are free.",
            video_free, voice_free
        )));
    }
    Ok((0..n).map(|i| if i < video_free { ParticipantState::Connected } else { ParticipantState::PartiallyConnected }).collect())
}

/// One line of the Resource Report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeLine {
    /// "Video" or "Voice".
    pub kind: String,
    pub occupied: u32,
    pub free: u32,
    pub total: u32,
}

/// A conference's share of the ports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConferenceLine {
    pub id: String,
    pub name: String,
    pub numeric_id: String,
    /// Calls up with video.
    pub video: u32,
    /// Calls up on audio only.
    pub audio_only: u32,
}

/// The Resource Report: occupied, free and total by type, and the conferences holding
/// ports (most first).
pub fn report(totals: Ports, conferences: &[Conference], participants: &[Participant]) -> (Vec<TypeLine>, Vec<ConferenceLine>) {
    let mut lines: Vec<ConferenceLine> = conferences
        .iter()
        .map(|c| ConferenceLine { id: c.id.clone(), name: c.name.clone(), numeric_id: c.numeric_id.clone(), video: 0, audio_only: 0 })
        .collect();
    let (mut holding, mut audio_only) = (0u32, 0u32);
    for p in participants.iter().filter(|p| p.state.holds_port()) {
        holding += 1;
        let audio = p.state == ParticipantState::PartiallyConnected;
        audio_only += u32::from(audio);
        if let Some(l) = lines.iter_mut().find(|l| l.id == p.conference_id) {
            if audio {
                l.audio_only += 1;
            } else {
                l.video += 1;
            }
        }
    }
    lines.retain(|l| l.video + l.audio_only > 0);
    lines.sort_by(|a, b| (b.video + b.audio_only).cmp(&(a.video + a.audio_only)).then_with(|| a.name.cmp(&b.name)));
    let used = in_use(holding, audio_only, totals);
    let line = |kind: &str, occupied: u32, total: u32| TypeLine { kind: kind.into(), occupied, free: total.saturating_sub(occupied), total };
    (vec![line("Video", used.video, totals.video), line("Voice", used.voice, totals.voice)], lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_follow_the_model_and_the_configuration() {
        let config = PortConfiguration { video_ports: 30, voice_ports: 10, ..Default::default() };
        assert_eq!(totals(McuModel::Cs4000, &config), Ports { video: 30, voice: 10 });
        assert_eq!(totals(McuModel::VirtualEdition, &config), Ports { video: 40, voice: 0 });
        for model in McuModel::ALL {
            assert_eq!(totals(model, &config).total(), crate::conference::capacity(model, &config), "{model:?}");
        }
    }

    #[test]
    fn video_first_then_audio_only_then_refused() {
        let t = Ports { video: 2, voice: 1 };
        use ParticipantState::{Connected, PartiallyConnected};
        assert_eq!(connect(1, in_use(0, 0, t), t).expect("video"), vec![Connected]);
        assert_eq!(connect(3, in_use(0, 0, t), t).expect("all three"), vec![Connected, Connected, PartiallyConnected]);
        assert_eq!(connect(1, in_use(2, 0, t), t).expect("voice left"), vec![PartiallyConnected]);
        let e = connect(1, in_use(3, 1, t), t).expect_err("full");
        assert!(e.to_string().contains("All 3 ports"), "{e}");
        assert!(connect(4, in_use(0, 0, t), t).is_err(), "all or none");
        // Audio-only calls beyond the voice ports sit on video ports.
        assert_eq!(in_use(3, 2, t), Ports { video: 2, voice: 1 });
    }

    #[test]
    fn the_report_counts_by_type_and_by_conference() {
        let conf = |id: &str| crate::conference::start(
            id.into(),
            crate::conference::NewConference { name: &format!("C{id}"), numeric_id: "1", ..Default::default() },
            0,
        )
        .expect("conference");
        let p = |conf: &str, state| Participant {
            id: format!("{conf}{state:?}"),
            conference_id: conf.into(),
            name: "x".into(),
            address: "10.0.0.1".into(),
            protocol: Protocol::H323,
            direction: Direction::DialIn,
            state,
            audio_muted: false,
            video_muted: false,
            chairperson: false,
            disconnect_cause: None,
            ivr_path: Vec::new(),
            home_conference_id: None,
            stamps: Default::default(),
        };
        use ParticipantState::*;
        let people = [p("a", Connected), p("a", PartiallyConnected), p("a", Disconnected), p("b", AwaitingAssistance)];
        let (types, confs) = report(Ports { video: 10, voice: 4 }, &[conf("a"), conf("b"), conf("c")], &people);
        assert_eq!(types[0], TypeLine { kind: "Video".into(), occupied: 2, free: 8, total: 10 });
        assert_eq!(types[1], TypeLine { kind: "Voice".into(), occupied: 1, free: 3, total: 4 });
        assert_eq!(confs.iter().map(|c| (c.id.as_str(), c.video, c.audio_only)).collect::<Vec<_>>(), [("a", 1, 1), ("b", 1, 0)]);
    }
}
