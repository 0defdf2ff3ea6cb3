//! Progress display: live bars on a terminal, plain lines otherwise (CI logs).

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A set of bars drawn together on stderr; hidden when stderr is not a terminal.
pub fn multi() -> MultiProgress {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    MultiProgress::with_draw_target(target)
}

/// A bar counting items, e.g. packages built out of all to build.
pub fn counter(total: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// A bar counting bytes of one transfer.
pub fn bytes(message: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("  {msg:40!} {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12}")
            .expect("valid template"),
    );
    bar.set_message(message.to_owned());
    bar
}

/// A spinner with a changing message, e.g. one package's current build step.
pub fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("  {spinner} {msg:.dim} {elapsed}").expect("valid template"));
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Prints a line above the bars, or plainly when they are hidden.
pub fn say(progress: &MultiProgress, line: &str) {
    if progress.is_hidden() {
        eprintln!("{line}");
    } else {
        let _ = progress.println(line);
    }
}
