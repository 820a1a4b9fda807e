//! The `hipscut` binary: parse the command line and run it.

mod cli;
mod progress;

use clap::Parser;

fn main() -> std::process::ExitCode {
    // The library turns a panic in a decoder or painter into a failed tile or render; say
    // what happened in one line instead of a backtrace invitation.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("hipscut: internal error{at}: {what} (please report it)");
    }));
    match cli::run(cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let library = e.downcast_ref::<hipscut::Error>();
            if let Some(hint) = library.and_then(cli::hint) {
                eprintln!("hint: {hint}");
            }
            let kind = library.map_or(hipscut::ErrorKind::BadRequest, hipscut::Error::kind);
            std::process::ExitCode::from(kind.exit_status())
        }
    }
}
