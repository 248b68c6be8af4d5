# Layout
site-tagline = Återbruk först – kommunens interna marknadsplats
skip-to-content = Hoppa till innehållet
nav-main-label = Huvudmeny
nav-start = Start
language-switcher-label = Välj språk
footer-about = Bruka är en intern marknadsplats för återbruk av möbler och utrustning i offentlig sektor.
footer-source = Öppen källkod
footer-method = Så räknar vi

# Start page
home-title = Återbruk först
home-lead = Innan någon köper nytt: se om en annan enhet har det som behövs. Varje återbrukad sak sparar pengar och undviker utsläpp från nyproduktion.
home-how-heading = Så fungerar det
home-how-post = Lägg upp möbler och utrustning som din enhet inte längre behöver, med bilder och upphämtningsinformation.
home-how-claim = Hitta och reservera det din enhet behöver, hämta det och bekräfta överlämningen.
home-how-count = Varje överlämning räknas som ett undvikt inköp: sparade kronor och kilo koldioxidekvivalenter, spårbara till en källa.
home-categories-heading = Kategorier och utsläppsfaktorer
home-categories-intro = Faktorerna anger utsläpp från tillverkning och distribution av en ny sak (inte användning), i den försiktiga delen av publicerade intervall.
categories-empty = Inga kategorier finns ännu.
categories-col-category = Kategori
categories-col-factor = Undvikna utsläpp
categories-col-price = Nypris
categories-col-source = Källa
factor-per-item = { $kg } kg CO₂e per styck
factor-per-kg = { $kg } kg CO₂e per kg
factor-per-kg-typical = { $kg } kg CO₂e per kg, cirka { $total } kg CO₂e vid typisk vikt { $weight } kg
factor-missing = Ingen faktor
price-estimate = cirka { $amount } kr
price-missing = Inget pris angivet
estimate-badge = uppskattning
factor-source-show = Visa källa
factor-version = Faktortabell { $version }
method-heading = Så räknar vi
method-formula = Undvikna utsläpp = D × (utsläpp för en ny sak − renovering − transport). Pengar sparade = D × nypris − interna kostnader.
method-displacement = D är hur troligt det är att mottagaren annars hade köpt nytt: ja 1,0, kanske 0,5, nej 0. Undvikna utsläpp redovisas separat och räknas aldrig som kompensation för egna utsläpp.

# Errors
error-not-found-title = Sidan finns inte
error-not-found-text = Adressen kan vara felskriven, eller så har sidan tagits bort.
error-bad-request-title = Något i förfrågan stämmer inte
error-bad-request-text = Kontrollera uppgifterna och försök igen.
error-server-title = Något gick fel hos oss
error-server-text = Ingenting av det du gjorde har sparats till hälften. Försök igen om en stund.
error-unavailable-title = Tjänsten är tillfälligt otillgänglig
error-unavailable-text = Databasen svarar inte just nu. Försök igen om en stund.
error-generic-title = Något gick fel
error-generic-text = Försök igen, eller gå tillbaka till startsidan.
error-back-home = Till startsidan
error-request-id = Felkod för support: { $id }

# Categories (names in the factor table are Swedish)
category-mobler = Möbler
category-mobler-kontorsstol = Kontorsstol
category-mobler-besoksstol-och-skolstol = Besöksstol och skolstol
category-mobler-skrivbord = Skrivbord
category-mobler-bord = Bord
category-mobler-hurts-och-forvaring = Hurts och förvaring
category-mobler-skap = Skåp
category-mobler-soffa = Soffa
category-it = IT
category-it-barbar-dator = Bärbar dator
category-it-skarm = Skärm
category-it-stationar-dator = Stationär dator
category-it-surfplatta = Surfplatta
category-it-mobiltelefon = Mobiltelefon
category-it-skrivare = Skrivare
category-vitvaror = Vitvaror
category-vitvaror-kylskap = Kylskåp
category-vitvaror-diskmaskin = Diskmaskin
category-vitvaror-tvattmaskin = Tvättmaskin
category-vitvaror-spis-och-ugn = Spis och ugn
category-elektronik = Elektronik
category-elektronik-sma-elapparater = Små elapparater
category-elektronik-stora-elapparater = Stora elapparater
category-ovrigt = Övrigt
category-ovrigt-ovrigt = Övrigt
