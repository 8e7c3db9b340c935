package store

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/unicode/norm"

	"github.com/paydesk/paydesk/finance"
)

func (t *tx) Client(id finance.ClientID) (finance.Client, error) {
	var c finance.Client
	v := t.b(bClients).Get(u64(uint64(id)))
	if v == nil {
		return c, fmt.Errorf("client %d %w", id, finance.ErrNotFound)
	}
	err := getJSON(v, &c)
	return c, err
}

func (t *tx) ClientByPhone(e164 string) (finance.Client, error) {
	if e164 == "" {
		return finance.Client{}, fmt.Errorf("client with no phone %w", finance.ErrNotFound)
	}
	v := t.b(bClientPhone).Get([]byte(e164))
	if v == nil {
		return finance.Client{}, fmt.Errorf("client with phone %s %w", e164, finance.ErrNotFound)
	}
	return t.Client(finance.ClientID(getU64(v)))
}

// ClientCount is the number of clients. Clients are never deleted, so the
// bucket's sequence (rolled back with a failed transaction) is the count.
func (t *tx) ClientCount() (int, error) {
	return int(t.b(bClients).Sequence()), nil
}

func (t *tx) CreateClient(c finance.Client) (finance.Client, error) {
	if c.Phone != "" {
		if err := t.phoneFree(c.Phone, 0); err != nil {
			return finance.Client{}, err
		}
	}
	b := t.b(bClients)
	id, err := b.NextSequence()
	if err != nil {
		return finance.Client{}, fmt.Errorf("numbering client: %w", err)
	}
	c.ID = finance.ClientID(id)
	if err := putJSON(b.Put, u64(id), c); err != nil {
		return finance.Client{}, err
	}
	if err := t.indexClient(c); err != nil {
		return finance.Client{}, err
	}
	if err := t.logChange(finance.ChangeClient, strconv.FormatUint(id, 10)); err != nil {
		return finance.Client{}, err
	}
	return c, nil
}

func (t *tx) UpdateClient(c finance.Client) error {
	old, err := t.Client(c.ID)
	if err != nil {
		return err
	}
	if c.Phone != "" && c.Phone != old.Phone {
		if err := t.phoneFree(c.Phone, c.ID); err != nil {
			return err
		}
	}
	if err := t.unindexClient(old); err != nil {
		return err
	}
	if err := putJSON(t.b(bClients).Put, u64(uint64(c.ID)), c); err != nil {
		return err
	}
	if err := t.indexClient(c); err != nil {
		return err
	}
	return t.logChange(finance.ChangeClient, strconv.FormatUint(uint64(c.ID), 10))
}

func (t *tx) phoneFree(phone string, self finance.ClientID) error {
	v := t.b(bClientPhone).Get([]byte(phone))
	if v != nil && finance.ClientID(getU64(v)) != self {
		return fmt.Errorf("%w: phone %s already belongs to client %d", finance.ErrConflict, phone, getU64(v))
	}
	return nil
}

// The search indexes. Each entry's value carries what a query needs to test
// and order a candidate (normalised name, phone digits), so a search never
// loads client records it will not return.
//
//	clients_name:   sortName 0 id            -> digits
//	clients_word:   word 0 id                -> sortName 0 digits
//	clients_digits: digit suffix 0 id        -> sortName 0 digits
//	clients_prefix: prefix 0 sortName 0 id   -> digits (schema 4)
//
// clients_prefix holds, once per client, each distinct first 1..namePrefixLen
// letters of its name words, so the clients a short prefix matches (the
// many that the first keystrokes match) are listed already in name order.

func (t *tx) indexClient(c finance.Client) error {
	id := uint64(c.ID)
	if c.Phone != "" {
		if err := t.b(bClientPhone).Put([]byte(c.Phone), u64(id)); err != nil {
			return err
		}
	}
	sortName, words := normalizeName(c.Name)
	digits := phoneDigits(c.Phone)
	val := join([]byte(sortName), []byte(digits))
	if err := t.b(bClientName).Put(strID(sortName, id), []byte(digits)); err != nil {
		return err
	}
	wb := t.b(bClientWord)
	for _, w := range words {
		if err := wb.Put(strID(w, id), val); err != nil {
			return err
		}
	}
	db := t.b(bClientDigits)
	for _, s := range digitSuffixes(digits) {
		if err := db.Put(strID(s, id), val); err != nil {
			return err
		}
	}
	pb := t.b(bClientPrefix)
	for _, p := range namePrefixes(words) {
		if err := pb.Put(prefixKey(p, sortName, id), []byte(digits)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) unindexClient(c finance.Client) error {
	id := uint64(c.ID)
	if c.Phone != "" {
		if v := t.b(bClientPhone).Get([]byte(c.Phone)); v != nil && getU64(v) == id {
			if err := t.b(bClientPhone).Delete([]byte(c.Phone)); err != nil {
				return err
			}
		}
	}
	sortName, words := normalizeName(c.Name)
	if err := t.b(bClientName).Delete(strID(sortName, id)); err != nil {
		return err
	}
	for _, w := range words {
		if err := t.b(bClientWord).Delete(strID(w, id)); err != nil {
			return err
		}
	}
	for _, s := range digitSuffixes(phoneDigits(c.Phone)) {
		if err := t.b(bClientDigits).Delete(strID(s, id)); err != nil {
			return err
		}
	}
	for _, p := range namePrefixes(words) {
		if err := t.b(bClientPrefix).Delete(prefixKey(p, sortName, id)); err != nil {
			return err
		}
	}
	return nil
}

// namePrefixLen is the longest word prefix clients_prefix keeps, in letters.
// Longer query words are looked up under their first namePrefixLen letters
// and tested against the whole word.
const namePrefixLen = 3

// namePrefixes lists the distinct first 1..namePrefixLen letters of words.
func namePrefixes(words []string) []string {
	var out []string
	for _, w := range words {
		n := 0 // letters before byte i
		for i := range w {
			if n > 0 {
				out = appendNew(out, w[:i])
			}
			if n++; n > namePrefixLen {
				break
			}
		}
		if n <= namePrefixLen {
			out = appendNew(out, w)
		}
	}
	return out
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// leadPrefix is the clients_prefix entry a name term is looked up under,
// and whether it is the whole term (so every entry under it matches).
func leadPrefix(text []byte) ([]byte, bool) {
	n := 0
	for i := range string(text) {
		if n++; n > namePrefixLen {
			return text[:i], false
		}
	}
	return text, true
}

func prefixKey(prefix, sortName string, id uint64) []byte {
	k := make([]byte, 0, len(prefix)+len(sortName)+10)
	k = append(k, prefix...)
	k = append(k, 0)
	k = append(k, sortName...)
	k = append(k, 0)
	return append(k, u64(id)...)
}

// indexClientPrefixes is schema 4: it fills clients_prefix for the clients
// already stored.
func indexClientPrefixes(btx *bolt.Tx) error {
	pb, err := btx.CreateBucketIfNotExists(bClientPrefix)
	if err != nil {
		return err
	}
	return btx.Bucket(bClients).ForEach(func(k, v []byte) error {
		var c finance.Client
		if err := getJSON(v, &c); err != nil {
			return err
		}
		sortName, words := normalizeName(c.Name)
		digits := phoneDigits(c.Phone)
		for _, p := range namePrefixes(words) {
			if err := pb.Put(prefixKey(p, sortName, getU64(k)), []byte(digits)); err != nil {
				return err
			}
		}
		return nil
	})
}

// normalizeName lower-cases a name and strips accents, returning the words
// joined by single spaces (the sort key) and the distinct words. Apostrophes
// vanish ("O'Brien" is "obrien"); any other non-letter, non-digit separates words.
func normalizeName(name string) (string, []string) {
	var b strings.Builder
	var words []string
	start := 0
	flush := func() {
		if b.Len() > start {
			words = append(words, b.String()[start:])
			b.WriteByte(' ')
			start = b.Len()
		}
	}
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’', r == 'ʼ':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f := foldLetter(r); f != "" {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		default:
			flush()
		}
	}
	flush()
	sortName := strings.TrimSuffix(b.String(), " ")
	seen := make(map[string]bool, len(words))
	uniq := words[:0]
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			uniq = append(uniq, w)
		}
	}
	return sortName, uniq
}

// foldLetter spells the Latin letters that Unicode does not decompose (so
// NFD leaves them whole) the way people type them without the accent; "" for
// every other rune.
func foldLetter(r rune) string {
	switch r {
	case 'ł', 'ŀ':
		return "l"
	case 'ø':
		return "o"
	case 'đ', 'ð':
		return "d"
	case 'ħ':
		return "h"
	case 'ı':
		return "i"
	case 'ŧ':
		return "t"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'ß':
		return "ss"
	case 'þ':
		return "th"
	}
	return ""
}

func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// minPhoneDigits is the shortest digit run searched as a phone substring:
// fewer would match nearly everyone.
const minPhoneDigits = 3

// digitSuffixes lists every suffix of at least minPhoneDigits digits, so a
// prefix seek on them finds any substring of the phone.
func digitSuffixes(d string) []string {
	var out []string
	for i := 0; i+minPhoneDigits <= len(d); i++ {
		out = append(out, d[i:])
	}
	return out
}

// ---- search

// term is one part of a query: a name-word prefix or a phone-digit substring.
type term struct {
	text  []byte
	phone bool
}

// matches tests a candidate's normalised name and phone digits without
// allocating: this runs for every index entry a search walks.
func (q term) matches(sortName, digits []byte) bool {
	if q.phone {
		return bytes.Contains(digits, q.text)
	}
	for len(sortName) > 0 {
		if bytes.HasPrefix(sortName, q.text) {
			return true
		}
		i := bytes.IndexByte(sortName, ' ')
		if i < 0 {
			break
		}
		sortName = sortName[i+1:]
	}
	return false
}

// firstMatch reports whether an index entry is the first one a client has
// under this term's range, so a client matching twice (two words with the
// prefix, the digits twice in the phone) is counted once without a set.
func (q term) firstMatch(indexed, sortName, digits []byte) bool {
	if q.phone {
		return bytes.Index(digits, q.text) == len(digits)-len(indexed)
	}
	for len(sortName) > 0 {
		w := sortName
		if i := bytes.IndexByte(sortName, ' '); i >= 0 {
			w, sortName = sortName[:i], sortName[i+1:]
		} else {
			sortName = nil
		}
		if bytes.HasPrefix(w, q.text) {
			return bytes.Equal(w, indexed)
		}
	}
	return false
}

// parseQuery splits what was typed into terms. A query made only of phone
// characters is one digit string, however it was spaced ("067 123 45");
// otherwise each all-digit word is a phone term and the rest are name words.
func parseQuery(q string) ([]term, bool) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, true
	}
	if strings.IndexFunc(q, func(r rune) bool {
		return !(r >= '0' && r <= '9') && !strings.ContainsRune("+-() ./", r) && !unicode.IsSpace(r)
	}) < 0 {
		d := phoneDigits(q)
		if len(d) < minPhoneDigits {
			return nil, false
		}
		return []term{{text: []byte(d), phone: true}}, true
	}
	var terms []term
	for _, f := range strings.Fields(q) {
		if d := phoneDigits(f); len(d) == len(f) && len(d) >= minPhoneDigits {
			terms = append(terms, term{text: []byte(d), phone: true})
			continue
		}
		_, words := normalizeName(f)
		for _, w := range words {
			terms = append(terms, term{text: []byte(w)})
		}
	}
	return terms, len(terms) > 0
}

// Search strategy. The smallest index range among the terms is found by
// counting each up to the best so far (at most candidateCap). If it is that
// small, it is walked whole: each entry is tested against the other terms
// and the first limit by name are kept. If every term is common, matches are
// dense, so walking clients in name order fills a page within a few thousand
// steps; past nameScanBudget the smallest range is walked whole after all.
const (
	candidateCap   = 4000
	nameScanBudget = 4000
)

type hit struct {
	sortName []byte // points into the read transaction's pages
	id       uint64
}

func hitLess(a, b hit) bool {
	if c := bytes.Compare(a.sortName, b.sortName); c != 0 {
		return c < 0
	}
	return a.id < b.id
}

// topK keeps the first limit hits by name (all of them when limit <= 0).
type topK struct {
	limit int
	hits  []hit
}

func (k *topK) add(h hit) {
	if k.limit <= 0 {
		k.hits = append(k.hits, h)
		return
	}
	if len(k.hits) == k.limit && !hitLess(h, k.hits[len(k.hits)-1]) {
		return
	}
	i := sort.Search(len(k.hits), func(i int) bool { return hitLess(h, k.hits[i]) })
	if len(k.hits) < k.limit {
		k.hits = append(k.hits, hit{})
	}
	copy(k.hits[i+1:], k.hits[i:])
	k.hits[i] = h
}

func (k *topK) result() []hit {
	if k.limit <= 0 {
		sort.Slice(k.hits, func(i, j int) bool { return hitLess(k.hits[i], k.hits[j]) })
	}
	return k.hits
}

// SearchClients matches q against name-word prefixes and phone-digit
// substrings, all terms required, ordered by normalised name. limit <= 0
// means no limit.
func (t *tx) SearchClients(q string, limit int) ([]finance.Client, error) {
	terms, ok := parseQuery(q)
	if !ok {
		return nil, nil
	}
	var hits []hit
	if len(terms) == 0 {
		hits = t.scanByName(nil, limit, -1)
	} else {
		hits = t.searchTerms(terms, limit)
	}
	out := make([]finance.Client, 0, len(hits))
	for _, h := range hits {
		c, err := t.Client(finance.ClientID(h.id))
		if err != nil {
			return nil, fmt.Errorf("search index points at a missing client: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (t *tx) termBucket(q term) *bolt.Bucket {
	if q.phone {
		return t.b(bClientDigits)
	}
	return t.b(bClientWord)
}

// countRange counts index entries under the term's prefix, stopping past max.
func (t *tx) countRange(q term, max int) int {
	c := t.termBucket(q).Cursor()
	n := 0
	for k, _ := c.Seek(q.text); k != nil && bytes.HasPrefix(k, q.text) && n <= max; k, _ = c.Next() {
		n++
	}
	return n
}

// smallRange is the most word or digit index entries walked whole (and
// sorted) for a query with a name term; past it, a name term's prefix range is
// walked in name order instead, stopping at limit matches.
const smallRange = 500

// searchTerms picks how to answer a query. A query with a name word uses
// clients_prefix unless one of its terms has a small range in the word or
// digit index; a phones-only query uses the digit index.
func (t *tx) searchTerms(terms []term, limit int) []hit {
	lead, leadRunes := -1, 0
	for i, q := range terms {
		if n := utf8.RuneCount(q.text); !q.phone && n > leadRunes {
			lead, leadRunes = i, n
		}
	}
	if lead < 0 {
		return t.searchDigits(terms, limit)
	}
	best, bestN := -1, smallRange+1
	for i, q := range terms {
		if !q.phone && utf8.RuneCount(q.text) <= namePrefixLen {
			continue // its prefix range is what walkPrefix reads; counting it costs as much
		}
		n := t.countRange(q, bestN-1)
		if n == 0 {
			return nil
		}
		if n < bestN {
			best, bestN = i, n
		}
	}
	if best >= 0 {
		return t.walkRange(terms, best, limit)
	}
	return t.walkPrefix(terms, lead, limit)
}

// walkPrefix walks the clients whose words start with the lead term's first
// letters, in name order, keeping those that match every term, until limit.
// Each client is listed once per prefix, so no match is counted twice.
func (t *tx) walkPrefix(terms []term, lead, limit int) []hit {
	p, whole := leadPrefix(terms[lead].text)
	skip := -1
	if whole {
		skip = lead
	}
	p = append(p[:len(p):len(p)], 0)
	hits := []hit{}
	c := t.b(bClientPrefix).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if len(k) < len(p)+9 {
			continue
		}
		sortName := k[len(p) : len(k)-9]
		if !matchAll(terms, skip, sortName, v) {
			continue
		}
		hits = append(hits, hit{sortName: sortName, id: tail8(k)})
		if limit > 0 && len(hits) >= limit {
			break
		}
	}
	return hits
}

// searchDigits answers a query of phone digits only.
func (t *tx) searchDigits(terms []term, limit int) []hit {
	best, bestN := 0, candidateCap+1
	for i, q := range terms {
		n := t.countRange(q, bestN-1)
		if n == 0 {
			return nil
		}
		if n < bestN {
			best, bestN = i, n
		}
	}
	if bestN <= candidateCap || limit <= 0 {
		return t.walkRange(terms, best, limit)
	}
	if hits := t.scanByName(terms, limit, nameScanBudget); hits != nil {
		return hits
	}
	return t.walkRange(terms, best, limit)
}

// walkRange walks one term's whole index range, keeping the first limit
// matches by name.
func (t *tx) walkRange(terms []term, lead, limit int) []hit {
	q := terms[lead]
	c := t.termBucket(q).Cursor()
	top := topK{limit: limit}
	for k, v := c.Seek(q.text); k != nil && bytes.HasPrefix(k, q.text); k, v = c.Next() {
		if len(k) < 9 {
			continue
		}
		sortName, digits, _ := bytes.Cut(v, []byte{0})
		if !q.firstMatch(k[:len(k)-9], sortName, digits) || !matchAll(terms, lead, sortName, digits) {
			continue
		}
		top.add(hit{sortName: sortName, id: tail8(k)})
	}
	return top.result()
}

func matchAll(terms []term, skip int, sortName, digits []byte) bool {
	for i, q := range terms {
		if i != skip && !q.matches(sortName, digits) {
			return false
		}
	}
	return true
}

// scanByName walks clients in name order, keeping those that match every
// term, until limit hits. With budget >= 0 it gives up (returning nil) after
// that many entries without filling the page.
func (t *tx) scanByName(terms []term, limit, budget int) []hit {
	c := t.b(bClientName).Cursor()
	hits := []hit{}
	steps := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if limit > 0 && len(hits) >= limit {
			break
		}
		if budget >= 0 && steps >= budget {
			return nil
		}
		steps++
		if len(k) < 9 {
			continue
		}
		sortName := k[:len(k)-9]
		if !matchAll(terms, -1, sortName, v) {
			continue
		}
		hits = append(hits, hit{sortName: sortName, id: tail8(k)})
	}
	return hits
}
