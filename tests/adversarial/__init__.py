"""The adversarial suite: concurrency, crashes, damaged state, hostile input, failing
keyrings and APIs, secret hygiene, file safety and transport, against the installed console scripts
and the real gnome-keyring. SECURITY.md maps each promise to the test here that covers it."""
