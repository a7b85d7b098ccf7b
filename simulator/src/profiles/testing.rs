//! A PDU for vendor tests: a real `Device` on a manual clock, driven through the agent the way
//! a manager's GET and SET requests are.

use std::sync::Arc;
use std::time::Duration;

use crate::access::Access;
use crate::agent::respond;
use crate::clock::ManualClock;
use crate::device::{Device, DeviceSpec};
use crate::outlet::{Delays, Power, StartupPower};
use snmp_proto::{ErrorStatus, Oid, Pdu, PduType, Value, VarBind, Version};

pub struct TestPdu {
    pub device: Device,
    pub clock: Arc<ManualClock>,
}

/// Parses a dotted OID as the vendor MIBs write it.
pub fn lit(text: &str) -> Vec<u32> {
    text.trim_start_matches('.')
        .split('.')
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("bad OID literal {text}"))
        })
        .collect()
}

impl TestPdu {
    /// `outlets` outlets, all on, 100 W each, reboot period 5 s, on-delay 3 s, off-delay 2 s,
    /// meters frozen.
    pub fn start(vendor: &str, outlets: u32) -> TestPdu {
        let vendor = super::find(vendor).unwrap_or_else(|| panic!("no vendor {vendor}"));
        let spec = DeviceSpec {
            name: "test".into(),
            vendor,
            outlets,
            outlet_names: Vec::new(),
            initial_power: Power::On,
            power_off_period: Duration::from_secs(5),
            delays: Delays {
                on_delay: Duration::from_secs(3),
                off_delay: Duration::from_secs(2),
                reboot: Duration::from_secs(5),
            },
            startup: StartupPower::LastKnown,
            outlet_loads: Vec::new(),
            outlet_powers: Vec::new(),
            sys_object_id: None,
            identity: crate::device::Identity::default(),
            quirks: crate::mib_quirks::MibQuirks::default(),
            default_load_watts: 100.0,
            sys_descr: None,
            sys_name: "pdu".into(),
            sys_contact: String::new(),
            sys_location: String::new(),
            state_dir: None,
            engine_id: None,
            communities: Vec::new(),
            users: Vec::new(),
            contexts: Vec::new(),
            max_bulk_varbinds: 1000,
            notify: Vec::new(),
            recording: None,
        };
        let clock = Arc::new(ManualClock::default());
        let device = Device::start(spec, clock.clone()).expect("device starts");
        device.lock_state().meters_frozen = true;
        TestPdu { device, clock }
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    fn request(
        &self,
        pdu_type: PduType,
        varbinds: Vec<(Vec<u32>, Value<'static>)>,
    ) -> Pdu<'static> {
        let request = Pdu {
            pdu_type,
            request_id: 7,
            error_status: 0,
            error_index: 0,
            varbinds: varbinds
                .into_iter()
                .map(|(o, value)| VarBind {
                    oid: Oid::new(&o),
                    value,
                })
                .collect(),
            trap_v1: None,
        };
        let answered = respond(
            &self.device,
            Version::V2c,
            &request,
            Access::ReadWrite,
            65000,
        );
        if answered.state_changed {
            if let Some(write) = self.device.persist() {
                write.wait(crate::device::SAVE_WAIT);
            }
        }
        answered.response
    }

    /// GET of one OID given as text.
    pub fn get(&self, o: &str) -> Value<'static> {
        let response = self.request(PduType::GetRequest, vec![(lit(o), Value::Null)]);
        assert_eq!(response.error_status, 0, "GET {o}");
        response
            .varbinds
            .into_iter()
            .next()
            .expect("one varbind")
            .value
    }

    pub fn get_int(&self, o: &str) -> i32 {
        match self.get(o) {
            Value::Integer(v) => v,
            Value::Gauge32(v) | Value::Counter32(v) => i32::try_from(v).expect("fits"),
            other => panic!("GET {o}: not a number: {other:?}"),
        }
    }

    pub fn get_text(&self, o: &str) -> String {
        match self.get(o) {
            Value::OctetString(s) => String::from_utf8_lossy(&s).into_owned(),
            other => panic!("GET {o}: not a string: {other:?}"),
        }
    }

    /// SET of several varbinds in one request; the error-status (0 = noError).
    pub fn set_many(&self, varbinds: &[(&str, Value<'static>)]) -> i32 {
        let vbs = varbinds.iter().map(|(o, v)| (lit(o), v.clone())).collect();
        self.request(PduType::SetRequest, vbs).error_status
    }

    pub fn set(&self, o: &str, value: Value<'static>) -> i32 {
        self.set_many(&[(o, value)])
    }

    pub fn set_int(&self, o: &str, v: i32) -> i32 {
        self.set(o, Value::Integer(v))
    }
}

pub const OK: i32 = ErrorStatus::NoError as i32;
pub const WRONG_VALUE: i32 = ErrorStatus::WrongValue as i32;
pub const WRONG_TYPE: i32 = ErrorStatus::WrongType as i32;
pub const NOT_WRITABLE: i32 = ErrorStatus::NotWritable as i32;
pub const NO_CREATION: i32 = ErrorStatus::NoCreation as i32;
