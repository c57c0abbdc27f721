"""What the operator reads when a playlist is refused, kept together for translation.

Each message says what is wrong and what to do. `{label}` names the place in the
playlist (`item 3 'say'`, `slot 'at'`, `'title'`); the file and line are put in front
of every message, as `buoi-sang.yaml:7: ...`.
"""

from __future__ import annotations

from broadcaster.i18n import N_

# --- where in the playlist --------------------------------------------------------------
LABEL_TOP = N_("'{key}'")
LABEL_SLOT = N_("slot '{key}'")
LABEL_ITEM = N_("item {n} '{key}'")
WHERE_SLOT = N_(" in the slot")
WHERE_ITEM = N_(" in item {n}")

# --- the file itself ----------------------------------------------------------------------
MSG_NOT_FOUND = N_("playlist file not found; check the name and the folder")
MSG_IS_FOLDER = N_("this is a folder, not a playlist; give the .yaml file")
MSG_UNREADABLE = N_("cannot read the playlist ({reason}); check its permissions")
MSG_NOT_UTF8 = N_("the file is not UTF-8 text (byte 0x{byte:02x}); save it again as UTF-8")
MSG_CONTROL_CHARACTER = N_("invisible control character U+{code:04X} on this line; delete it "
                           "(it often comes with copy and paste)")
MSG_TAB = N_("a tab is used for indentation; indent with spaces only")
MSG_BAD_YAML = N_("not valid YAML ({problem}); check the indentation, the ':' after each key "
                  "and the quotes on this line")
MSG_COLON_IN_VALUE = N_("a value here holds ': ', which YAML takes for a new key; put the whole "
                        "value in quotes, e.g. title: \"Thông báo: lịch tiêm phòng\"")
MSG_TWO_DOCUMENTS = N_("a second document starts here ('---'); keep one playlist per file")
MSG_TOO_DEEP = N_("brackets nested too deeply; a playlist needs at most a list inside 'items'")
MSG_EMPTY_FILE = N_("the playlist is empty; it needs at least 'title' and 'items'")
MSG_NOT_A_MAPPING = N_("a playlist is a set of 'key: value' lines such as 'title: ...' and "
                       "'items:', not {found}")

# --- keys ---------------------------------------------------------------------------------
MSG_DUPLICATE_KEY = N_("duplicate key '{key}' (also on line {first}); keep only one")
MSG_KEY_NOT_A_WORD = N_("a key must be a plain word such as 'title', not {found}")
MSG_UNKNOWN_KEY = N_("unknown key '{key}'{where}{hint}")
MSG_ITEM_KEY_AT_TOP = N_("'{key}' is an item; put it in the list under 'items:', as "
                         "'  - {key}: ...'")

# --- values -------------------------------------------------------------------------------
MSG_NOT_A_VALUE = N_("{label} must be a single value, not {found}")
FOUND_LIST = N_("a list")
FOUND_MAPPING = N_("a set of keys")
FOUND_TEXT = N_("a single value")
MSG_EMPTY_TITLE = N_("'title' is empty; give the playlist a name")
MSG_BAD_TITLE = N_("'title' is one line of at most {most} characters (this one has {length} "
                   "characters{lines}); shorten it")
TITLE_LINES = N_(" on {count} lines")
MSG_BAD_LEVEL = N_("level \"{value}\" is not a level; choose normal, priority or emergency")
MSG_EMERGENCY_SLOT = N_("an emergency airs once, at once, so it cannot have a 'slot'; remove the "
                        "slot, or choose level priority or normal")
MSG_BAD_DATE = N_("{label} \"{value}\" is not a date; write it as YYYY-MM-DD, e.g. \"2026-12-01\"")
MSG_DATES_REVERSED = N_("'valid_until' {until} is before 'valid_from' {start}; correct one "
                        "of them")

# --- required parts -------------------------------------------------------------------------
MSG_MISSING_TITLE = N_("missing 'title'; add a line such as 'title: Bản tin buổi sáng'")
MSG_MISSING_ITEMS = N_("missing 'items'; add 'items:' and below it what to air, one '- ' line "
                       "each, e.g. '  - say: ...'")
MSG_ITEMS_NOT_A_LIST = N_("'items' must be a list, one '- ' line per item, e.g. '  - say: ...'")
MSG_EMPTY_ITEMS = N_("'items' is empty; list at least one thing to air, e.g. '  - say: ...'")

# --- the slot -----------------------------------------------------------------------------
MSG_SLOT_NOT_A_MAPPING = N_("'slot' must look like {days: daily, at: \"05:30\", until: "
                            "\"06:30\"}; leave it out for a one-off")  # not a format string
MSG_MISSING_AT = N_("the slot has no 'at'; add its start time, e.g. 'at: \"05:30\"'")
MSG_BAD_TIME = N_("{label} \"{value}\" is not a time; write it as HH:MM, e.g. \"05:30\"")
MSG_UNTIL_NOT_AFTER = N_("slot 'until' \"{until}\" is not after 'at' \"{at}\"; a slot ends on "
                         "the day it starts: split one that crosses midnight into two playlists")
MSG_UNKNOWN_DAY = N_("slot 'days' \"{value}\" is not a day{hint}; write daily, weekdays, "
                     "weekends, mon to sun, a date such as 2026-12-24 or a lunar day such as "
                     "âm 1 (mùng 1) or âm 15 (rằm)")
MSG_BAD_LUNAR_DAY = N_("slot 'days' \"{value}\" is not a lunar day; a lunar month has days 1 "
                       "to 30: write âm 1 for mùng 1 or âm 15 for rằm")
MSG_NO_DAYS = N_("slot 'days' lists no day; write daily, weekdays, weekends or a list such as "
                 "[mon, wed, fri]")
MSG_TET_IS_A_HOLIDAY = N_(" (holidays skips Tết with every public holiday)")
MSG_UNKNOWN_SKIP = N_("slot 'skip' \"{value}\" is neither holidays nor a date{hint}; write "
                      "skip: holidays, a date such as 2026-12-25, or a list of them")
MSG_NO_SKIP = N_("slot 'skip' lists nothing; write holidays or dates such as 2026-12-25, or "
                 "remove it")
MSG_SKIP_AT_TOP = N_("'skip' belongs to the slot; put it inside 'slot:', e.g. slot: {days: "
                     "daily, at: \"05:30\", skip: holidays}")  # not a format string
HINT_DID_YOU_MEAN = N_(" (did you mean '{suggestion}'?)")

# --- items --------------------------------------------------------------------------------
MSG_ITEM_NOT_A_MAPPING = N_("item {n} must be 'kind: value', e.g. '- say: ...', '- file: ...' "
                            "or '- pause: 3s'")
MSG_ITEM_NO_KIND = N_("item {n} has nothing to air; give it one of 'say', 'file', 'chime', "
                      "'relay' or 'pause'")
MSG_ITEM_TWO_KINDS = N_("item {n} has both '{first}' and '{second}'; put each in its own item, "
                        "one '- ' line each")
MSG_OPTION_ELSEWHERE = N_("item {n}: '{key}' goes with '{owner}', not '{kind}'; remove it")
MSG_EMPTY_SAY = N_("{label} is empty; write the text to read")
MSG_NO_LETTERS = N_("{label} text \"{value}\" has no letters to read; write the notice in words")
MSG_TEXT_TOO_LONG = N_("{label} text is {length:,} characters, over the limit of {limit:,} "
                       "(tts.max_chars); split it into several 'say' items")
MSG_BAD_REPEAT = N_("{label} \"{value}\" is not a whole number; write how many times to read "
                    "it, 1 to 10")
MSG_REPEAT_RANGE = N_("{label} {value} is out of range; read a notice 1 to 10 times")
MSG_BAD_DURATION = N_("{label}: {reason}")
MSG_DURATION_RANGE = N_("{label} \"{value}\" is out of range; give more than 0s and at most 24h")
MSG_GAP_RANGE = N_("{label} \"{value}\" is too long; give at most 24h")
MSG_RELAY_NO_DURATION = N_("{label} needs a 'duration' saying how long to relay the stream; add "
                           "'duration: 30m' below it")
MSG_BAD_URL = N_("{label} \"{value}\" is not an http:// or https:// stream address; give the "
                 "stream's URL, e.g. http://stream.example/vov1")
MSG_EMPTY_CHIME = N_("{label} is empty; write 'chime: default' or name an audio file")

# --- audio files --------------------------------------------------------------------------
MSG_EMPTY_PATH = N_("{label} is empty; name an audio file in the audio folder")
MSG_OUTSIDE_AUDIO_DIR = N_("{label} \"{value}\" is outside the audio folder {audio_dir}; copy the "
                           "file there and name it relative to that folder")
MSG_BAD_FORMAT = N_("{label} \"{value}\" is not a supported audio format; use .wav, .mp3, .ogg, "
                    ".oga, .opus, .flac, .m4a or .aac")
MSG_FILE_MISSING = N_("{label} \"{value}\" is not in the audio folder {audio_dir}; copy it there "
                      "or correct the name")
MSG_FILE_IS_FOLDER = N_("{label} \"{value}\" is a folder; name an audio file inside it")
MSG_FILE_UNREADABLE = N_("{label} \"{value}\" cannot be read ({reason}); check its permissions")
MSG_NOT_AUDIO = N_("{label} \"{value}\" is not audio (not WAV, MP3, Ogg, FLAC or AAC inside); "
                   "export it again as audio")

# --- hard starts inside a slot (item 'at', 'fit') and zones -------------------------------
MSG_AT_ONE_OFF = N_("{label} \"{at}\" is a hard start inside a slot, and this playlist has no "
                    "slot; remove 'at', or add a slot such as slot: {{days: daily, at: "
                    "\"05:30\", until: \"06:30\"}}")
MSG_AT_BEFORE_SLOT = N_("{label} \"{at}\" is before the slot starts at \"{start}\"; give a time "
                        "from \"{start}\" on")
MSG_AT_NOT_BEFORE_UNTIL = N_("{label} \"{at}\" is not before the slot's 'until' \"{until}\"; "
                             "give an earlier time or a later 'until'")
MSG_AT_OUT_OF_ORDER = N_("{label} \"{at}\" is not after the hard start \"{earlier}\" of item "
                         "{n} above it; hard starts go in time order: reorder the items or "
                         "correct the times")
MSG_FIT_ELSEWHERE = N_("item {n}: 'fit' goes with 'say' or 'file', not '{kind}'; remove it")
MSG_BAD_FIT = N_("{label} \"{value}\" is not a way to fit{hint}; write fit: wait (it waits "
                 "until after the hard start when it would not end before it) or leave it out")
MSG_UNKNOWN_ZONE = N_("unknown zone '{name}'{hint} (zones: {names})")
NO_ZONES = N_("none; the config has no [zones]: add them there, or remove 'zones'")
MSG_NO_ZONES_LISTED = N_("'zones' lists no zone; name zones from the config's [zones], or "
                         "remove it to air to every zone")
