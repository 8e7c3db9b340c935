package viva

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// Amounts are the JSON number's own digits, never a float: 0.1 + 0.2
// style values are exact, a reversal's minus sign is dropped, and more
// decimals than the currency has (unless zeros), an exponent or a
// non-number are refused.
func TestAmountMinor(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"10", "eur", 1000, true},
		{"10.5", "eur", 1050, true},
		{"0.3", "eur", 30, true},
		{"45.50", "eur", 4550, true},
		{"45.500", "eur", 4550, true},
		{"-1000", "eur", 100000, true},
		{"92233720368547758.07", "eur", 0, false},
		{"1999", "jpy", 1999, true},
		{"19.99", "jpy", 0, false},
		{"10.123", "eur", 0, false},
		{"1e3", "eur", 0, false},
		{"", "eur", 0, false},
		{"--1", "eur", 0, false},
	} {
		got, err := amountMinor(json.Number(tc.in), tc.cur)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("amountMinor(%q, %s) = %d, %v; want %d ok=%t", tc.in, tc.cur, got, err, tc.want, tc.ok)
		}
	}
}

// Viva writes CurrencyCode as "978" in webhooks and 978 in the API; both
// read alike, and a 16-digit OrderCode keeps every digit.
func TestNumberCodes(t *testing.T) {
	var v struct {
		A code `json:"a"`
		B code `json:"b"`
		O code `json:"o"`
		N code `json:"n"`
	}
	if err := json.Unmarshal([]byte(`{"a":"978","b":978,"o":2271655739472609123,"n":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "978" || v.B != "978" || v.O != "2271655739472609123" || v.N != "" {
		t.Fatalf("%+v", v)
	}
	for _, bad := range []string{`{"a":"97x"}`, `{"a":9.78}`, `{"a":-978}`, `{"a":true}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

// Viva's own 1796 and 1797 examples (developer.viva.com,
// webhooks-for-payments), trimmed to the fields read: they decode into a
// payment of 10 EUR for the MerchantTrns, and a reversal of 1000 EUR of
// its ParentId.
func TestDocumentedExamples(t *testing.T) {
	pay := `{"Url":"Your webhook URL","EventData":{"Moto":false,"Email":"","Phone":"7700900796","BankId":"NET_VISA",
"ParentId":null,"Amount":10,"MerchantId":"bdf4c6b3-c26d-4046-b5df-5c443ec39d09","OrderCode":2271655739472609,
"StatusId":"F","FullName":"Customer name","InsDate":"2021-09-02T10:39:28.73","TotalFee":0,
"TransactionId":"997ab1e3-e6ce-45c9-970d-4d902f27ce71","CurrencyCode":"978","OrderCulture":"el-GR",
"MerchantTrns":"Short description of items/services purchased by customer","TransactionTypeId":5},
"Created":"2021-09-02T07:39:29.4287221Z","CorrelationId":"eb6ac5a0-5aa4-4d1a-9d65-4d22e9ad0b8d","EventTypeId":1796,
"Delay":null,"MessageId":"a8e4e9b1-3a0c-4cfd-94d1-a0b2d8f8a2f6","RecipientId":"bdf4c6b3-c26d-4046-b5df-5c443ec39d09","MessageTypeId":512}`
	env, err := decodeEnvelope([]byte(pay))
	if err != nil {
		t.Fatal(err)
	}
	e := event(env, []byte(pay))
	if e.ID != "viva:997ab1e3-e6ce-45c9-970d-4d902f27ce71:paid" || e.Amount != 1000 || e.Currency != "eur" || e.Problem != "" ||
		e.Metadata["booking_id"] != "Short description of items/services purchased by customer" || e.Created.IsZero() {
		t.Fatalf("payment %+v", e)
	}
	rev := `{"Url":"Your webhook url","EventData":{"ParentId":"d406ca77-f045-4902-9176-506f56fcd793","Amount":-1000,
"OrderCode":3464811134270497,"StatusId":"F","InsDate":"2022-05-26T03:06:14.04","TransactionId":"addffca1-25d2-4739-acb4-b05e385e8563",
"CurrencyCode":"978","MerchantTrns":null,"TransactionTypeId":7},"Created":"2022-05-26T00:06:14.8828792Z","EventTypeId":1797}`
	env, err = decodeEnvelope([]byte(rev))
	if err != nil {
		t.Fatal(err)
	}
	e = event(env, []byte(rev))
	if e.PaymentRef != "d406ca77-f045-4902-9176-506f56fcd793" || len(e.Refunds) != 1 || e.Refunds[0].Amount != 100000 ||
		e.Refunds[0].ID != "addffca1-25d2-4739-acb4-b05e385e8563" || e.Refunds[0].Status != "succeeded" || e.Refunds[0].Key != "" {
		t.Fatalf("reversal %+v", e)
	}
}

// A confirmed amount with more decimals than the currency has (Viva's
// word as much as the notification's) is flagged, never rounded; one the
// notification alone writes so is refused.
func TestTooManyDecimals(t *testing.T) {
	env := envelope{EventTypeID: EventPaymentCreated, EventData: eventData{TransactionID: "t", OrderCode: "1",
		Amount: "10.123", CurrencyCode: "978"}}
	if why := disagree(env, transaction{Amount: "10.123", OrderCode: "1", CurrencyCode: "978"}); why != "" {
		t.Fatalf("the same amount disagrees: %s", why)
	}
	if why := disagree(env, transaction{Amount: "10.12", OrderCode: "1", CurrencyCode: "978"}); why == "" {
		t.Fatal("10.123 agreed with 10.12")
	}
	if e := event(env, nil); e.Problem == "" || e.Amount != 0 {
		t.Fatalf("event %+v", e)
	}
}

// Past ConfirmPerSecond in one second a notification is refused without
// asking Viva; the next second it is checked again.
func TestConfirmationsBounded(t *testing.T) {
	p, err := New(Config{MerchantID: "m", APIKey: "k", ClientID: "c", ClientSecret: "s", ConfirmPerSecond: 2})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	p.now = func() time.Time { return now }
	got := []bool{p.mayConfirm(), p.mayConfirm(), p.mayConfirm()}
	now = now.Add(time.Second)
	got = append(got, p.mayConfirm())
	if want := []bool{true, true, false, true}; !slices.Equal(got, want) {
		t.Fatalf("allowed %v, want %v", got, want)
	}
}
