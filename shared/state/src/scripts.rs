//! The state's Lua scripts (`scripts/*.lua`, each with a KEYS/ARGV header), sent through the
//! queue's script layer (`queue::io::eval`).

use std::sync::LazyLock;

use redis::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("../scripts/", $file, ".lua"))));
    };
}

script!(RESERVE, "reserve");
script!(RESERVE_RELEASE, "reserve_release");
script!(RESERVE_LIST, "reserve_list");
script!(ALERT_RAISE, "alert_raise");
script!(ALERT_RESOLVE, "alert_resolve");
script!(ALERT_LIST, "alert_list");
