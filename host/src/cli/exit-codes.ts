// Exit codes of `carnet` (sysexits(3) values where one fits, so scripts can tell cases apart).

/** Done. */
export const EXIT_OK = 0;
/** The command ran and found problems the person must look at (anomalies, refused card, broken chain). */
export const EXIT_FINDINGS = 1;
/** Wrong command line: unknown command or option, missing or malformed value. */
export const EXIT_USAGE = 64;
/** Input data refused: tampered or foreign file, wrong fund, bad signature, malformed bytes. */
export const EXIT_DATAERR = 65;
/** An input file or a named object does not exist. */
export const EXIT_NOINPUT = 66;
/** A device is missing or not answering (reader, serial port, PC/SC reader, database). */
export const EXIT_UNAVAILABLE = 69;
/** A bug: an invariant broke. Nothing was changed. */
export const EXIT_SOFTWARE = 70;
/** Reading or writing a file or the ledger failed. */
export const EXIT_IOERR = 74;
/** Wrong passphrase or key: not allowed. */
export const EXIT_NOPERM = 77;
