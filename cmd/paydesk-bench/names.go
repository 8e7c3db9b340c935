package main

import "fmt"

// Client names for the generated books: a Warsaw salon's mix of Polish and
// international names, with the accents (ł, ą, é, ü) that search must fold.
// 90 first names x 150 surnames give 13,500 full names, so at 100,000
// clients most names are shared by a handful of people, as in a real city.
var firstNames = []string{
	"Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna", "Elżbieta", "Magdalena",
	"Joanna", "Zofia", "Monika", "Teresa", "Danuta", "Natalia", "Karolina", "Marta", "Beata", "Dorota",
	"Aleksandra", "Halina", "Jadwiga", "Iwona", "Paulina", "Justyna", "Grażyna", "Urszula", "Jolanta",
	"Renata", "Patrycja", "Wiktoria", "Julia", "Emilia", "Weronika", "Hanna", "Maja", "Zuzanna", "Oliwia",
	"Łucja", "Alicja", "Gabriela", "Kinga", "Sylwia", "Izabela", "Dominika", "Klaudia", "Martyna",
	"Olena", "Iryna", "Oksana", "Tetiana", "Svitlana", "Yulia", "Daria", "Sofia", "Léa", "Chloé", "Inès",
	"Hélène", "Sophie", "Lena", "Jürgen", "Günther", "Lukas", "Jonas", "Emma", "Olivia", "Charlotte",
	"Amelia", "Isabella", "Lucía", "María", "Carmen", "Núria", "Piotr", "Tomasz", "Paweł", "Michał",
	"Krzysztof", "Andrzej", "Marcin", "Łukasz", "Jakub", "Mateusz", "Kamil", "Wojciech", "Rafał",
	"Grzegorz", "Bartłomiej", "Zbigniew", "Sebastian",
}

var lastNames = []string{
	"Nowak", "Kowalska", "Wiśniewska", "Wójcik", "Kowalczyk", "Kamińska", "Lewandowska", "Zielińska",
	"Szymańska", "Woźniak", "Dąbrowska", "Kozłowska", "Jankowska", "Mazur", "Kwiatkowska", "Krawczyk",
	"Kaczmarek", "Piotrowska", "Grabowska", "Zając", "Pawłowska", "Michalska", "Król", "Wieczorek",
	"Jabłońska", "Wróbel", "Nowakowska", "Majewska", "Olszewska", "Stępień", "Malinowska", "Jaworska",
	"Adamczyk", "Dudek", "Nowicka", "Pawlak", "Górska", "Witkowska", "Walczak", "Sikora", "Baran",
	"Rutkowska", "Michalak", "Szewczyk", "Ostrowska", "Tomaszewska", "Pietrzak", "Marciniak", "Wróblewska",
	"Zalewska", "Jakubowska", "Jasińska", "Zawadzka", "Sadowska", "Bąk", "Chmielewska", "Włodarczyk",
	"Borkowska", "Czarnecka", "Sawicka", "Sokołowska", "Urbańska", "Kubiak", "Maciejewska", "Szczepańska",
	"Kucharska", "Wilk", "Kalinowska", "Lis", "Mazurek", "Wysocka", "Adamska", "Kaźmierczak", "Wasilewska",
	"Sobczak", "Czerwińska", "Andrzejewska", "Cieślak", "Głowacka", "Zakrzewska", "Kołodziej", "Sikorska",
	"Krajewska", "Gajewska", "Szymczak", "Szulc", "Baranowska", "Laskowska", "Brzezińska", "Makowska",
	"Ziółkowska", "Przybylska", "Domańska", "Nowacka", "Borowska", "Błaszczyk", "Chojnacka", "Ciesielska",
	"Mróz", "Szczepaniak", "Wesołowska", "Górecka", "Krupa", "Kaczmarczyk", "Leszczyńska", "Lipińska",
	"Kowalewska", "Urbaniak", "Kozak", "Kania", "Mikołajczyk", "Czajkowska", "Mucha", "Tomczak", "Kozieł",
	"Markowska", "Kowalik", "Nawrocka", "Brzozowska", "Janik", "Musiał", "Wawrzyniak", "Markiewicz",
	"Orłowska", "Tomczyk", "Jarosz", "Kołodziejczyk", "Kurek", "Kopeć", "Żak", "Wolska", "Łuczak",
	"Dziedzic", "Kot", "Stasiak", "Stankiewicz", "Piątek", "Jóźwiak", "Urban", "Dobrowolska",
	"Pawlik", "Kruk", "Domagała", "Piasecka", "Wierzbicka", "Karpińska", "Jastrzębska", "Polak",
	"Zięba", "Janicka", "Wojciechowska", "Shevchenko", "Kovalenko", "Dubois", "Müller", "García", "O'Brien",
}

// clientName is the name of the i-th client (0-based), spread so that
// neighbouring ids do not share a surname.
func clientName(i int) string {
	f := firstNames[(i*7)%len(firstNames)]
	l := lastNames[(i/len(firstNames)*31+i*13)%len(lastNames)]
	return f + " " + l
}

// Polish mobile ranges; each i gives a distinct valid number.
var mobilePrefixes = []string{"50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"}

// clientPhone is the i-th client's phone in E.164: 7919 is prime and shares
// no factor with 10^7, so i -> digits is one-to-one within each prefix.
func clientPhone(i int) string {
	p := mobilePrefixes[i%len(mobilePrefixes)]
	rest := (uint64(i/len(mobilePrefixes))*7919 + 1234567) % 10_000_000
	return fmt.Sprintf("+48%s%07d", p, rest)
}

// service is something the salon sells, priced in grosze.
type service struct {
	name  string
	price int64
}

var services = []service{
	{"Haircut", 9000}, {"Haircut & styling", 14000}, {"Colouring", 28000}, {"Highlights", 34000},
	{"Manicure", 8000}, {"Gel manicure", 12000}, {"Pedicure", 11000}, {"Facial", 19000},
	{"Eyebrow shaping", 5000}, {"Lash lift", 15000}, {"Massage 60 min", 21000}, {"Beard trim", 6000},
	{"Keratin treatment", 42000}, {"Hair care product", 7500},
}
