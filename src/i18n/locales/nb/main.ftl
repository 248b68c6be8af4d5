# Layout
site-tagline = Ombruk først – kommunens interne markedsplass
skip-to-content = Hopp til innholdet
nav-main-label = Hovedmeny
nav-start = Start
language-switcher-label = Velg språk
footer-about = Bruka er en intern markedsplass for ombruk av møbler og utstyr i offentlig sektor.
footer-source = Åpen kildekode
footer-method = Slik regner vi

# Start page
home-title = Ombruk først
home-lead = Før noen kjøper nytt: se om en annen enhet har det som trengs. Hver ting som brukes om igjen, sparer penger og unngår utslipp fra nyproduksjon.
home-how-heading = Slik fungerer det
home-how-post = Legg ut møbler og utstyr som enheten din ikke lenger trenger, med bilder og informasjon om henting.
home-how-claim = Finn og reserver det enheten din trenger, hent det og bekreft overleveringen.
home-how-count = Hver overlevering teller som et unngått innkjøp: sparte kroner og kilo CO₂-ekvivalenter, sporbare til en kilde.
home-categories-heading = Kategorier og utslippsfaktorer
home-categories-intro = Faktorene viser utslipp fra produksjon og distribusjon av en ny ting (ikke bruk), i den forsiktige enden av publiserte intervaller.
categories-empty = Det finnes ingen kategorier ennå.
categories-col-category = Kategori
categories-col-factor = Unngåtte utslipp
categories-col-price = Nypris
categories-col-source = Kilde
factor-per-item = { $kg } kg CO₂e per stykk
factor-per-kg = { $kg } kg CO₂e per kg
factor-per-kg-typical = { $kg } kg CO₂e per kg, omtrent { $total } kg CO₂e ved typisk vekt { $weight } kg
factor-missing = Ingen faktor
price-estimate = omtrent { $amount } SEK
price-missing = Ingen pris oppgitt
estimate-badge = anslag
factor-source-show = Vis kilde
factor-version = Faktortabell { $version }
method-heading = Slik regner vi
method-formula = Unngåtte utslipp = D × (utslipp for en ny ting − oppussing − transport). Penger spart = D × nypris − interne kostnader.
method-displacement = D er hvor sannsynlig det er at mottakeren ellers ville kjøpt nytt: ja 1,0, kanskje 0,5, nei 0. Unngåtte utslipp rapporteres separat og regnes aldri som kompensasjon for egne utslipp.

# Errors
error-not-found-title = Siden finnes ikke
error-not-found-text = Adressen kan være feilskrevet, eller siden kan være fjernet.
error-bad-request-title = Noe i forespørselen stemmer ikke
error-bad-request-text = Kontroller opplysningene og prøv igjen.
error-server-title = Noe gikk galt hos oss
error-server-text = Ingenting av det du gjorde, er lagret halvveis. Prøv igjen om litt.
error-unavailable-title = Tjenesten er midlertidig utilgjengelig
error-unavailable-text = Databasen svarer ikke akkurat nå. Prøv igjen om litt.
error-generic-title = Noe gikk galt
error-generic-text = Prøv igjen, eller gå tilbake til forsiden.
error-back-home = Til forsiden
error-request-id = Feilkode for support: { $id }

# Categories
category-mobler = Møbler
category-mobler-kontorsstol = Kontorstol
category-mobler-besoksstol-och-skolstol = Besøksstol og skolestol
category-mobler-skrivbord = Skrivebord
category-mobler-bord = Bord
category-mobler-hurts-och-forvaring = Skuffeseksjon og oppbevaring
category-mobler-skap = Skap
category-mobler-soffa = Sofa
category-it = IT
category-it-barbar-dator = Bærbar PC
category-it-skarm = Skjerm
category-it-stationar-dator = Stasjonær PC
category-it-surfplatta = Nettbrett
category-it-mobiltelefon = Mobiltelefon
category-it-skrivare = Skriver
category-vitvaror = Hvitevarer
category-vitvaror-kylskap = Kjøleskap
category-vitvaror-diskmaskin = Oppvaskmaskin
category-vitvaror-tvattmaskin = Vaskemaskin
category-vitvaror-spis-och-ugn = Komfyr og stekeovn
category-elektronik = Elektronikk
category-elektronik-sma-elapparater = Små elektriske apparater
category-elektronik-stora-elapparater = Store elektriske apparater
category-ovrigt = Annet
category-ovrigt-ovrigt = Annet
