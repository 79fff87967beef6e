//! Chinese names in the order people look them up: by pinyin (汉语拼音), as a paper
//! register is kept and as phones list contacts, not by code point (which puts 张 before
//! 李 and scatters one surname across the list).

use pinyin::ToPinyin;

/// The key a name sorts by: its syllables in plain pinyin, one space after each, so
/// that `li qiang` comes before `liu bei`; characters with no pinyin (Latin letters,
/// digits) stand for themselves, lower-cased, a run of them one word. Names that read the same tie; sort by
/// `(pinyin_key(name), name)` to keep them in a stable order.
pub fn pinyin_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 2);
    for character in name.chars() {
        match character.to_pinyin() {
            Some(syllable) => {
                // A syllable is a word of its own, after a run of letters too.
                if !key.is_empty() && !key.ends_with(' ') {
                    key.push(' ');
                }
                key.push_str(syllable.plain());
                key.push(' ');
            }
            None => key.extend(character.to_lowercase()),
        }
    }
    key
}

/// Sorts `items` by the pinyin of the name `name_of` gives.
pub fn sort_by_pinyin<T>(items: &mut [T], name_of: impl Fn(&T) -> &str) {
    items.sort_by_cached_key(|item| {
        let name = name_of(item);
        (pinyin_key(name), name.to_owned())
    });
}

/// The records of `map` by the pinyin of the name `name_of` gives; records of one name
/// keep the order of their ids (the map's order: the sort is stable).
pub fn by_pinyin<K: Ord, V>(
    map: &std::collections::BTreeMap<K, V>,
    name_of: impl Fn(&V) -> &str,
) -> Vec<(&K, &V)> {
    let mut records: Vec<_> = map.iter().collect();
    sort_by_pinyin(&mut records, |(_, record)| name_of(record));
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_their_pinyin_syllable_by_syllable() {
        let mut names = vec!["张婷", "刘备", "李强", "王五", "艾伦", "Zoe", "李倩"];
        sort_by_pinyin(&mut names, |name| name);
        assert_eq!(
            names,
            ["艾伦", "李倩", "李强", "刘备", "王五", "张婷", "Zoe"]
        );
    }
}
