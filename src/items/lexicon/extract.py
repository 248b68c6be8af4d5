#!/usr/bin/env python3
"""Builds the compound lexicons (sv.txt, nb.txt) from the hunspell dictionaries Debian ships.

    apt-get install hunspell-sv hunspell-no
    python3 src/items/lexicon/extract.py /usr/share/hunspell src/items/lexicon

Each output line is `form roles [lemma]`: a form that may stand in a compound, `h` (it may
end a compound: the head), `m` (it may begin or sit inside one: a modifier) or both, and the
dictionary word it is a form of when that differs (kontors -> kontor). Swedish marks these with COMPOUNDBEGIN/MIDDLE/END flags and with
suffix rules whose forms carry them (kontor -> kontors-, skola -> skol-); Norwegian bokmål
marks words that may be any part with its COMPOUNDFLAG. Proper nouns, abbreviations and
words with digits or hyphens are left out.

The dictionaries: Swedish by Göran Andersson (LGPL-3), Norwegian by the spell-norwegian
project (GPL-2 or later); the lists derived from them keep those licences (see LICENSES).
"""
import re
import sys
from collections import defaultdict
from pathlib import Path

WORD = re.compile(r"^[a-zåäöæøéü]+$")


def read(path, encoding):
    return Path(path).read_text(encoding=encoding, errors="replace").splitlines()


def flags_of(entry):
    word, _, flags = entry.partition("/")
    return word.strip(), set(flags.split()[0] if flags else "")


def suffix_rules(aff_lines):
    """flag -> [(strip, add, continuation flags, condition regex)]"""
    rules = defaultdict(list)
    for line in aff_lines:
        parts = line.split()
        if len(parts) >= 5 and parts[0] == "SFX":
            flag, strip, add, condition = parts[1], parts[2], parts[3], parts[4]
            add, _, continuation = add.partition("/")
            strip = "" if strip == "0" else strip
            add = "" if add == "0" else add
            rules[flag].append((strip, add, set(continuation), re.compile(condition + "$")))
    return rules


def swedish(directory):
    aff = read(directory / "sv_SE.aff", "utf-8")
    rules = suffix_rules(aff)
    begin, middle, end = "X", "U", "Y"
    forms = defaultdict(set)  # (form, lemma) -> roles
    for entry in read(directory / "sv_SE.dic", "utf-8")[1:]:
        word, flags = flags_of(entry)
        if not WORD.match(word):
            continue
        if end in flags:
            forms[(word, word)].add("h")
        if flags & {begin, middle}:
            forms[(word, word)].add("m")
        for flag in flags:
            for strip, add, continuation, condition in rules.get(flag, []):
                if not continuation & {begin, middle} or not condition.search(word):
                    continue
                if strip and not word.endswith(strip):
                    continue
                form = word[: len(word) - len(strip)] + add
                if WORD.match(form):
                    forms[(form, word)].add("m")
    return forms


def bokmal(directory):
    aff = read(directory / "nb_NO.aff", "latin-1")
    compound = next(l.split()[1] for l in aff if l.startswith("COMPOUNDFLAG"))
    forms = defaultdict(set)
    for entry in read(directory / "nb_NO.dic", "latin-1")[1:]:
        word, flags = flags_of(entry)
        if WORD.match(word) and compound in flags:
            forms[(word, word)] |= {"h", "m"}
    return forms


def write(forms, path):
    lines = sorted(
        f"{form} {''.join(sorted(roles))}" + ("" if lemma == form else f" {lemma}")
        for (form, lemma), roles in forms.items()
    )
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path}: {len(lines)} forms")


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    write(swedish(source), target / "sv.txt")
    write(bokmal(source), target / "nb.txt")
