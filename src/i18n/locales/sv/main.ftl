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

# Account navigation
nav-admin = Administration
nav-sign-in = Logga in
nav-sign-out = Logga ut
nav-signed-in-as = Inloggad som { $name }
form-error-heading = Något behöver rättas
error-forbidden-title = Du har inte behörighet
error-forbidden-text = Sidan kräver en annan roll, eller så var formuläret för gammalt. Ladda om sidan och försök igen.
error-too-many-title = För många försök
error-too-many-text = Vänta en stund innan du försöker igen.

# Sign-in
login-title = Logga in
login-intro = Ange din e-postadress i jobbet så skickar vi en inloggningslänk. Inget lösenord behövs.
login-email-label = E-postadress i jobbet
login-email-hint = Till exempel anna.andersson@kommun.se
login-submit = Skicka inloggningslänk
login-signed-out = Du är nu utloggad.
login-error-invalid-email = Ange en e-postadress i formatet namn@kommun.se
login-sent-title = Kolla din e-post
login-sent-text = Om { $email } hör till en organisation som använder Bruka har vi skickat en inloggningslänk dit. Länken gäller i { $minutes } minuter och kan bara användas en gång.
login-sent-unknown = Inget mejl? Kontrollera skräpposten, och att adressen är din e-post i jobbet. Hör annars av dig till den som administrerar Bruka i din organisation.
login-sent-again = Skicka en ny länk
login-confirm-title = Fortsätt logga in
login-confirm-text = Du loggar in som { $email }.
login-confirm-submit = Logga in
login-refused-title = Länken fungerar inte
login-refused-expired = Inloggningslänken har gått ut. Länkar gäller i 15 minuter.
login-refused-used = Inloggningslänken har redan använts. Varje länk fungerar en gång.
login-refused-invalid = Inloggningslänken är ogiltig. Kopiera hela länken från mejlet, eller be om en ny.
login-refused-account = Adressen kan inte logga in längre. Hör av dig till den som administrerar Bruka i din organisation.
login-refused-again = Be om en ny länk

# First sign-in
welcome-title = Välkommen till Bruka
welcome-intro = Berätta vem du är och vilken enhet du hör till. Det visas för kollegor när du lägger upp eller reserverar något.
welcome-name-label = Ditt namn
welcome-unit-label = Din enhet
welcome-unit-none = Välj enhet senare
welcome-no-units = Det finns inga enheter ännu. Din administratör lägger till dem.
welcome-submit = Spara och fortsätt
welcome-error-name = Ange ditt namn (högst 100 tecken)

# Admin
admin-title = Administration
admin-saved = Ändringen är sparad.
admin-units-heading = Enheter
admin-units-empty = Inga enheter ännu.
admin-unit-name-label = Enhetens namn
admin-unit-new-label = Ny enhet
admin-rename = Byt namn
admin-add = Lägg till
admin-remove = Ta bort
admin-save = Spara
admin-domains-heading = E-postdomäner
admin-domains-intro = Alla med en e-postadress på de här domänerna kan logga in i er organisation.
admin-domain-new-label = Ny domän
admin-people-heading = Personer och roller
admin-col-person = Person
admin-col-unit = Enhet
admin-col-role = Roll
admin-error-domain-taken = Domänen används redan av en organisation.
admin-error-domain-invalid = Ange en domän som kommun.se.
admin-error-last-domain = Organisationen måste ha minst en domän, annars kan ingen logga in.
admin-error-unit-taken = Det finns redan en enhet med det namnet.
admin-error-unit-name = Ange ett namn på 1–100 tecken.
admin-error-last-admin = Organisationen måste ha minst en administratör.
role-member = Medarbetare
role-sustainability = Hållbarhetsenhet
role-admin = Administratör

# Mail
mail-login-subject = Din inloggningslänk till Bruka
mail-login-greeting = Hej!
mail-login-text = Klicka på länken för att logga in i Bruka. Den gäller i { $minutes } minuter och kan användas en gång.
mail-login-button = Logga in i Bruka
mail-login-ignore = Har du inte bett om att logga in? Då kan du strunta i det här mejlet.
