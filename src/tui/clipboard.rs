//! `y` copies through the terminal, not a local clipboard: OSC 52 asks the terminal the user
//! sits at to set its clipboard, so it works over SSH (the sequence is only bytes on the way)
//! and inside tmux with `set -g set-clipboard on`.

use base64::Engine;

/// The OSC 52 sequence that puts `text` on the clipboard (`c`), base64 as the sequence
/// requires, ended with ST (`ESC \`), which xterm, tmux and the rest take.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x1b\\")
}

#[cfg(test)]
mod tests {
    use super::osc52;

    #[test]
    fn osc52_is_the_text_base64_encoded_between_osc_and_st() {
        assert_eq!(
            osc52("BX-VN 103 ✓").as_bytes(),
            b"\x1b]52;c;QlgtVk4gMTAzIOKckw==\x1b\\"
        );
        assert_eq!(osc52("").as_bytes(), b"\x1b]52;c;\x1b\\");
    }
}
