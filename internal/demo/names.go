package demo

// Names by phone region, so a demo for a Kyiv salon looks like one. Regions
// without a list get the English one. Surnames are chosen to read right for
// anyone (no gendered endings).
type nameList struct{ first, last []string }

func namesFor(region string) nameList {
	switch region {
	case "UA":
		return nameList{
			first: []string{"Олена", "Анна", "Марія", "Ірина", "Тетяна", "Наталія", "Оксана", "Юлія", "Катерина",
				"Світлана", "Вікторія", "Дарина", "Софія", "Христина", "Леся", "Андрій", "Олег", "Дмитро", "Тарас", "Богдан"},
			last: []string{"Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Мельник",
				"Поліщук", "Лисенко", "Савченко", "Гончаренко", "Руденко", "Марченко", "Павленко", "Мороз", "Петренко"},
		}
	case "BR", "PT":
		return nameList{
			first: []string{"Ana", "Beatriz", "Camila", "Fernanda", "Juliana", "Larissa", "Mariana", "Patrícia",
				"Gabriela", "Letícia", "Luana", "Renata", "Bruna", "Carolina", "Lucas", "Rafael", "Thiago", "Mateus"},
			last: []string{"Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Ferreira",
				"Rodrigues", "Almeida", "Carvalho", "Gomes", "Ribeiro", "Martins", "Araújo", "Barbosa"},
		}
	case "DE", "AT", "CH":
		return nameList{
			first: []string{"Anna", "Lena", "Sophie", "Julia", "Laura", "Katharina", "Sarah", "Lisa", "Hannah",
				"Marie", "Johanna", "Claudia", "Sabine", "Petra", "Jonas", "Lukas", "Felix", "Jan"},
			last: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
				"Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann"},
		}
	case "FR", "BE":
		return nameList{
			first: []string{"Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Claire",
				"Élodie", "Pauline", "Margaux", "Céline", "Hugo", "Louis", "Thomas", "Nicolas", "Julien"},
			last: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
				"Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fontaine"},
		}
	case "ES", "MX", "AR", "CO":
		return nameList{
			first: []string{"Lucía", "María", "Paula", "Sofía", "Laura", "Carmen", "Elena", "Marta", "Sara",
				"Andrea", "Claudia", "Alba", "Irene", "Pablo", "Javier", "Diego", "Carlos", "Sergio"},
			last: []string{"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
				"Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez"},
		}
	case "PL":
		return nameList{
			first: []string{"Anna", "Katarzyna", "Magdalena", "Agnieszka", "Joanna", "Monika", "Ewa", "Natalia",
				"Karolina", "Aleksandra", "Zofia", "Marta", "Piotr", "Tomasz", "Michał", "Paweł"},
			last: []string{"Nowak", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Woźniak",
				"Dąbrowski", "Kozłowski", "Mazur", "Krawczyk", "Kaczmarek", "Piotrowski", "Grabowski", "Nowakowski", "Pawlak"},
		}
	case "IT":
		return nameList{
			first: []string{"Giulia", "Chiara", "Francesca", "Sara", "Martina", "Valentina", "Alessia", "Elena",
				"Federica", "Silvia", "Laura", "Paola", "Marco", "Luca", "Matteo", "Andrea"},
			last: []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
				"Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Giordano"},
		}
	}
	return nameList{
		first: []string{"Emma", "Olivia", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper", "Grace",
			"Chloe", "Lily", "Ella", "Zoe", "Hannah", "Natalie", "Rachel", "James", "Daniel", "Michael", "Ryan"},
		last: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
			"Anderson", "Thomas", "Moore", "Martin", "Clark", "Lewis", "Walker", "Hall", "Young"},
	}
}

// service is something sold at checkout, priced in "euro-like" units that
// priceScale turns into the location's currency.
type service struct {
	name  string
	price int64 // whole units at scale 1
}

func services() []service {
	return []service{
		{"Haircut", 45}, {"Haircut and blow-dry", 60}, {"Colouring", 90}, {"Highlights", 120},
		{"Manicure", 30}, {"Gel manicure", 40}, {"Pedicure", 45}, {"Brow shaping", 20},
		{"Lash lift", 55}, {"Facial", 70}, {"Blow-dry", 25}, {"Hair mask", 15},
	}
}

// priceScale makes demo prices plausible in currencies far from the euro.
func priceScale(currency string) int64 {
	switch currency {
	case "UAH", "RUB", "INR", "THB", "PHP", "TRY":
		return 40
	case "BRL", "PLN", "AED", "ILS", "RON":
		return 5
	case "CZK", "MXN", "ZAR", "SEK", "NOK", "DKK":
		return 20
	case "JPY", "HUF":
		return 150
	case "KRW", "CLP", "COP", "IDR", "VND", "UGX":
		return 1000
	}
	return 1
}
