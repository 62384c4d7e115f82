// Every limit of protocol v1, with its reason. Tests check each at MAX and MAX+1.
// Money is integer cents; times are seconds since 1970-01-01T00:00:00Z (see SPEC.md, Conventions).

/** Version of every v1 structure (SPEC.md §3). A format change is a new version, never an edit. */
export const PROTOCOL_VERSION = 1;

/** Fund ids are 8 random bytes chosen at fund creation (SPEC.md §4). */
export const FUND_ID_BYTES = 8;
/** Key id = first 8 bytes of SHA-256(public key): 2^64 work to grind a colliding key (SPEC.md Conventions). */
export const KEY_ID_BYTES = 8;
/** Card pseudonyms are 8 random bytes: 2^64 space, no birthday risk for any fund's membership. */
export const PSEUDONYM_BYTES = 8;
/** NTAG21x UIDs are 7 bytes (NXP NTAG213/215/216 datasheet §8.5, ISO/IEC 14443-3 double size UID). */
export const CARD_UID_BYTES = 7;
/** State and voucher ids: 16 bytes of SHA-256, 128-bit second-preimage resistance (SPEC.md §6). */
export const STATE_ID_BYTES = 16;
/** SHA-256 digest length (FIPS 180-4). */
export const HASH_BYTES = 32;
/** Nonces bound to signed commands and checkpoints: 128 bits never repeat by chance. */
export const NONCE_BYTES = 16;
/** Signed messages start with these 6 ASCII bytes, "carnet" (SPEC.md §2): domain separation. */
export const SIGNATURE_CONTEXT = [0x63, 0x61, 0x72, 0x6e, 0x65, 0x74];

/** Largest unsigned integer field: readers and ids are u32 on the wire where fixed-size (log chain, receipts). */
export const MAX_U32 = 4294967295;
/** Amounts are cents and stay far below 2^31 so that Espruino's 32-bit integer paths never overflow. */
export const MAX_AMOUNT_CENTS = 100000000;

/** 1 000 € a month: above every known fund's rule (150 € + 75 € per extra person for 11 people),
 * and it bounds what one lost card can carry. */
export const MAX_MONTHLY_ALLOCATION = 100000;
/** Extra household persons in rule 2: 15 covers large households; beyond is a data-entry error. */
export const MAX_EXTRA_PERSONS = 15;
/** A v2 voucher's one-off credit (a lost card's balance given back): at most a month's maximum allocation
 * plus the most that can be carried over into it (a carry cap is ≤ MAX_MONTHLY_ALLOCATION). */
export const MAX_VOUCHER_CREDIT = 200000;
/** Parts in rule 3 ("parts" of 25 €): 40 parts is 1 000 €, the monthly maximum above. */
export const MAX_PARTS = 40;
/** A voucher allocates for at most 24 months before a desk renewal: members' situations change, and
 * an old voucher on a lost card must die. */
export const MAX_VALIDITY_MONTHS = 24;

/** Reader configuration: at most 8 categories, a 4x4 keypad picks one with a single key. */
export const MAX_CATEGORIES = 8;
/** Category ids fit one byte (receipts ring entry, SPEC.md §12.3). */
export const MAX_CATEGORY_ID = 255;
/** 100 % in basis points: the fund never covers more than the amount. */
export const MAX_RATE_BP = 10000;
/** Vendor name bytes: a 58 mm receipt line holds 32 characters of font A. */
export const MAX_VENDOR_NAME_BYTES = 32;
/** Category label bytes: fits one OLED line (128 px / 6 px font = 21 chars) after the key digit. */
export const MAX_CATEGORY_LABEL_BYTES = 20;
/** Offline window: a reader without sync for 60 days is certainly lost or forgotten. */
export const MAX_OFFLINE_DAYS = 60;
/** UTC offsets that exist on Earth, in minutes (UTC−12:00 … UTC+14:00). */
export const MIN_UTC_OFFSET_MIN = -720;
export const MAX_UTC_OFFSET_MIN = 840;

/** Reader directory entries: 64 readers × ~45 bytes ≈ 2.9 KB of a Pico's flash; a federation with more
 * readers splits into funds. */
export const MAX_DIRECTORY_READERS = 64;
/** Blocklist entries (pseudonyms + readers + issuer keys): 512 × 9 bytes ≈ 4.6 KB of flash. */
export const MAX_BLOCKLIST_ENTRIES = 512;

/** Largest log record: an alert carries two card state bodies (~70 bytes each) plus framing. */
export const MAX_LOG_RECORD_BYTES = 256;
/** Largest signed command envelope: it must fit one frame payload (1 KB, protocol/src/frame.ts) with the
 * COMMAND message's own CBOR wrapping. Larger objects (a 64-reader directory is ~3 KB) are staged first
 * in chunks (STAGE message) and the command names them by SHA-256 (SPEC.md §10). */
export const MAX_COMMAND_BYTES = 900;
/** Staging area for objects too large for one command: a full blocklist (512 entries ≈ 4.7 KB) with its
 * envelope fits; a Pico keeps it in one flash file. */
export const MAX_STAGED_BYTES = 6144;

/** Signed card structures are bounded by their card regions (SPEC.md §12.2). */
export const MAX_VOUCHER_BYTES = 160;
export const MAX_SLOT_BYTES = 168;

/** The protocol's first month index (January 2020): no voucher or state predates carnet. */
export const MIN_MONTH = 600;
/** Month index of December 2105: times are u32 seconds, which end in February 2106. */
export const MAX_MONTH = 1631;
